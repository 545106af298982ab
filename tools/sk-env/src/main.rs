fn main() {
    sk_common::run("sk-env", sk_env::main)
}
