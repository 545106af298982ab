fn main() {
    sk_common::run("sk-capdrop", sk_capdrop::main)
}
