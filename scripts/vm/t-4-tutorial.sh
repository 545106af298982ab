# docs/tutorial.md, section 8: its ```console vm blocks (AppArmor, which the
# host's kernel lacks) run here as tests/tutorial.rs runs the others on the
# host; scripts/vm/tutorial-run says how. A changed output fails the suite.

test_tutorial_apparmor_section_gives_the_output_it_shows() {
    need_tool sk-aaexec || return
    [ -f /sk/tutorial.md ] || { why "docs/tutorial.md is not in the initramfs"; return; }
    run sh /sk/tutorial-run /sk/tutorial.md vm
    want_code 0
}
