fn main() {
    sk_common::run("sk-unshare", sk_unshare::main)
}
