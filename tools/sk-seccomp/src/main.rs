fn main() {
    sk_common::run("sk-seccomp", sk_seccomp::main)
}
