fn main() {
    sk_common::run("sk-pivot", sk_pivot::main)
}
