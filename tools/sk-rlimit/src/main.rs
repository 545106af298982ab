fn main() {
    sk_common::run("sk-rlimit", sk_rlimit::main)
}
