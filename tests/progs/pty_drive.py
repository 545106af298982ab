#!/usr/bin/env python3
"""Runs a command on a new pty, as a person at a terminal would.

Usage: pty_drive.py STEPS_JSON COMMAND [ARGS...]

The command gets a fresh pty (24 rows, 80 columns unless a "size" step
says otherwise) as its controlling terminal, in a session of its own.
STEPS_JSON is a list of steps, done in order:
  ["send", TEXT]            write TEXT to the terminal (the keyboard)
  ["send", TEXT, COUNT]     write TEXT COUNT times (a paste)
  ["expect", REGEX, SECS]   wait until the output so far matches REGEX
  ["sleep", SECS]
  ["resize", ROWS, COLS]    change the window size (SIGWINCH)
Prints the whole output, then a last line "@@EXIT <status>" (128+N for a
death by signal N). Exits 1 at the first expect that times out.
"""
import fcntl, json, os, re, select, struct, sys, termios, time

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def main():
    steps = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    master, slave = os.openpty()
    set_size(slave, 24, 80)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.close(master)
        if slave > 2:
            os.close(slave)
        os.execvp(argv[0], argv)
    os.close(slave)
    out = bytearray()
    status = None

    def pump(wait):
        nonlocal status
        r, _, _ = select.select([master], [], [], wait)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            out.extend(data)
            return bool(data)
        return False

    failed = None
    for step in steps:
        kind = step[0]
        if kind == "send":
            data = step[1].encode() * (step[2] if len(step) > 2 else 1)
            while data:
                data = data[os.write(master, data):]
        elif kind == "sleep":
            end = time.time() + step[1]
            while time.time() < end:
                pump(end - time.time())
        elif kind == "resize":
            set_size(master, step[1], step[2])
        elif kind == "expect":
            end = time.time() + step[2]
            while not re.search(step[1].encode(), bytes(out)):
                if time.time() > end:
                    failed = step[1]
                    break
                pump(min(0.1, max(0, end - time.time())))
            if failed:
                break
    # The rest of the output, until the command has ended (at most 20 s).
    end = time.time() + 20
    while time.time() < end:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            status = status if status >= 0 else 128 - status
            while pump(0.2):
                pass
            break
        pump(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        status = "timeout"
    sys.stdout.write(out.decode(errors="replace"))
    sys.stdout.write("\n@@EXIT %s\n" % status)
    if failed:
        sys.stdout.write("@@NOT SEEN %r\n" % failed)
        sys.exit(1)

main()
