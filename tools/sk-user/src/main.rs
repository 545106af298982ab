fn main() {
    sk_common::run("sk-user", sk_user::main)
}
