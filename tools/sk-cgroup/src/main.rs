fn main() {
    sk_common::run("sk-cgroup", sk_cgroup::main)
}
