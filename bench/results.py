# results.py ALL_OUT RESULTS_MD: bench/RESULTS.md from the output of one
# bench/all.sh session (hyperfine's progress lines left out, each script's
# own lines kept as printed).
import re, sys
src = open(sys.argv[1]).read().splitlines()
sections = []
cur = None
for line in src:
    m = re.match(r'^#### (bench/\S+\.sh), seckun (\S+)', line)
    if m:
        cur = {'name': m.group(1), 'commit': m.group(2), 'lines': [], 'date': None, 'machine': None}
        sections.append(cur); continue
    if line.startswith('#### all.sh finished'):
        finished = line; cur = None; continue
    if cur is None: continue
    if line.startswith('machine: '): cur['machine'] = line; continue
    if line.startswith('date: '): cur['date'] = line; continue
    # hyperfine's own progress lines
    if re.match(r'^(Benchmark \d+:|  Time \(|  Range \(|  Warning:|Summary$|  \S.* ran$|\s+[\d.]+ ± [\d.]+ times (faster|slower) than)', line): continue
    if line.strip() == '' : continue
    cur['lines'].append(line)
commits = {s['commit'] for s in sections}
first = sections[0]['date'].split(';')[0].replace('date: ', '').replace(' UTC', '')
last = finished.replace('#### all.sh finished ', '').split(';')[0]
out = []
out.append('# Benchmark results\n')
machine = sections[0]['machine'].replace('machine: ', '').split('; ')
out.append(f'''Every figure below was printed by `bench/all.sh` (which runs each script
in `bench/` in turn) in one session, {first} to {last.split(' ')[1]} UTC,
on one machine: `{machine[0]}`, the project's `rust` machine type ({', '.join(machine[1:3])},
24 GiB, {machine[3]}, cgroup v1 hybrid), release profile
(static-pie, fat LTO, opt-level "s"), seckun at commit {', '.join(sorted(commits))}.
Each table is one hyperfine run (`-N`, no shell): median, the middle half
of the runs (first to third quartile), and the ratio of medians. The
goals are the issues'; "NOT met" is said where it is so. The machine is a
shared VM and noisy: four other sessions in the same hour, at nearly the
same commits, gave figures that differ by up to a few hundred
microseconds. Read the quartiles before a ratio.
''')
for s in sections:
    out.append(f"## {s['name']}\n")
    out.append(s['date'] + '\n')
    out.append('```')
    out.extend(s['lines'])
    out.append('```\n')
open(sys.argv[2], 'w').write('\n'.join(out))
