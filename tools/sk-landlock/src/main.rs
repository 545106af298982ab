fn main() {
    sk_common::run("sk-landlock", sk_landlock::main)
}
