fn main() {
    sk_common::run("sk-aaexec", sk_aaexec::main)
}
