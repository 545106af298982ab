fn main() {
    sk_chain::main("sk-landlock")
}
