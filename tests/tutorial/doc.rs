//! The runnable blocks of docs/tutorial.md, and how a command's output is
//! matched against the lines the tutorial expects. Pure: no process is run
//! here, so all of it is unit-tested with small inline documents.
//!
//! The block syntax (the tutorial's "How to read the blocks" says the same
//! for its readers):
//!
//! - A fenced block whose info string starts with `console` is runnable.
//!   More words after it are attributes: `vm` (run by the VM suite, not on
//!   this host), `as=nobody` (run as uid/gid 65534 instead of root).
//! - `$ COMMAND` starts a command. Lines after it that start with `> `
//!   continue it (what a shell shows for a here-document).
//! - Every other line up to the next `$ ` is expected output: stdout and
//!   stderr together, in order, as on a terminal. All lines must match.
//! - `...` alone on a line matches any number of lines, none included;
//!   inside a line it matches any text.
//! - `[<=N]` and `[>=N]` inside a line match a number at most / at least N.
//! - `[exit N]` as the last expected line is the command's exit status;
//!   without it the status must be 0.
//! - `$NAME` in an expected line is replaced by the harness's value of the
//!   variable NAME (the same value the command sees in its environment).

/// One `$ ` command of a block and the output expected from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based line of the `$ ` in the document.
    pub line: usize,
    pub command: String,
    pub expected: Vec<String>,
    /// The exit status `[exit N]` names; 0 when it names none.
    pub status: i32,
}

/// A runnable block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    pub attrs: Vec<String>,
    pub steps: Vec<Step>,
}

impl Block {
    pub fn has(&self, attr: &str) -> bool {
        self.attrs.iter().any(|a| a == attr)
    }
}

/// The runnable (`console`) blocks of a Markdown document, in order.
pub fn blocks(md: &str) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut lines = md.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((n, l)) = lines.next() {
        let Some(info) = l.strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let runnable = words.next() == Some("console");
        let attrs: Vec<String> = words.map(String::from).collect();
        let mut body = Vec::new();
        let mut closed = false;
        for (m, l) in lines.by_ref() {
            if l.starts_with("```") {
                closed = true;
                break;
            }
            body.push((m, l));
        }
        if !closed {
            return Err(format!("line {n}: the block is never closed"));
        }
        if runnable {
            out.push(Block {
                line: n,
                attrs,
                steps: steps(n, &body)?,
            });
        }
    }
    Ok(out)
}

fn steps(fence: usize, body: &[(usize, &str)]) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continuing = false;
    for &(n, l) in body {
        if let Some(cmd) = l.strip_prefix("$ ") {
            steps.push(Step {
                line: n,
                command: cmd.to_string(),
                expected: Vec::new(),
                status: 0,
            });
            continuing = true;
            continue;
        }
        let Some(step) = steps.last_mut() else {
            return Err(format!(
                "line {n}: a console block (line {fence}) must start with `$ `"
            ));
        };
        match l
            .strip_prefix("> ")
            .or(if l == ">" { Some("") } else { None })
        {
            Some(more) if continuing => {
                step.command.push('\n');
                step.command.push_str(more);
            }
            _ => {
                continuing = false;
                step.expected.push(l.to_string());
            }
        }
    }
    for s in &mut steps {
        if let Some(last) = s.expected.last() {
            if let Some(code) = last
                .strip_prefix("[exit ")
                .and_then(|r| r.strip_suffix(']'))
            {
                s.status = code
                    .parse()
                    .map_err(|_| format!("line {}: bad exit status {last}", s.line))?;
                s.expected.pop();
            }
        }
    }
    Ok(steps)
}

/// A piece of an expected line.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Text(String),
    /// `...`: any text.
    Any,
    /// `[<=N]`
    AtMost(f64),
    /// `[>=N]`
    AtLeast(f64),
}

fn segments(line: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("...") {
            segs.push(Seg::Text(std::mem::take(&mut text)));
            segs.push(Seg::Any);
            rest = r;
            continue;
        }
        if let Some((seg, r)) = bound(rest) {
            segs.push(Seg::Text(std::mem::take(&mut text)));
            segs.push(seg);
            rest = r;
            continue;
        }
        let c = rest.chars().next().unwrap();
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    segs.push(Seg::Text(text));
    segs.retain(|s| *s != Seg::Text(String::new()));
    segs
}

/// `[<=N]` or `[>=N]` at the start of `s`.
fn bound(s: &str) -> Option<(Seg, &str)> {
    let (make, r): (fn(f64) -> Seg, &str) = if let Some(r) = s.strip_prefix("[<=") {
        (Seg::AtMost, r)
    } else {
        (Seg::AtLeast, s.strip_prefix("[>=")?)
    };
    let end = r.find(']')?;
    let n: f64 = r[..end].parse().ok()?;
    Some((make(n), &r[end + 1..]))
}

fn line_matches(segs: &[Seg], s: &str) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return s.is_empty();
    };
    match first {
        Seg::Text(t) => s
            .strip_prefix(t.as_str())
            .is_some_and(|r| line_matches(rest, r)),
        Seg::Any => s
            .char_indices()
            .map(|(i, _)| i)
            .chain([s.len()])
            .any(|i| line_matches(rest, &s[i..])),
        Seg::AtMost(_) | Seg::AtLeast(_) => {
            let run = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            (1..=run).rev().any(|end| {
                let ok = match (s[..end].parse::<f64>(), first) {
                    (Ok(v), Seg::AtMost(n)) => v <= *n,
                    (Ok(v), Seg::AtLeast(n)) => v >= *n,
                    _ => false,
                };
                ok && line_matches(rest, &s[end..])
            })
        }
    }
}

/// Whether `got` (the lines the command printed) matches `want`.
pub fn output_matches(want: &[String], got: &[&str]) -> bool {
    let want: Vec<Option<Vec<Seg>>> = want
        .iter()
        .map(|l| (l != "...").then(|| segments(l)))
        .collect();
    lines_match(&want, got)
}

fn lines_match(want: &[Option<Vec<Seg>>], got: &[&str]) -> bool {
    let Some((first, rest)) = want.split_first() else {
        return got.is_empty();
    };
    match first {
        None => (0..=got.len()).any(|i| lines_match(rest, &got[i..])),
        Some(segs) => got
            .split_first()
            .is_some_and(|(g, more)| line_matches(segs, g) && lines_match(rest, more)),
    }
}

/// `$NAME` in an expected line replaced by the variable's value (longest
/// names first, so that `$T` never eats the start of a longer name).
pub fn substitute(line: &str, vars: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = vars.iter().collect();
    sorted.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut out = line.to_string();
    for (k, v) in sorted {
        let pat = format!("${k}");
        let mut res = String::new();
        let mut rest = out.as_str();
        while let Some(i) = rest.find(&pat) {
            let after = &rest[i + pat.len()..];
            let ident = after
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            res.push_str(&rest[..i]);
            res.push_str(if ident { &pat } else { v });
            rest = after;
        }
        res.push_str(rest);
        out = res;
    }
    out
}

/// The harness's own tests (run by tests/tutorial.rs).
pub mod tests {
    use super::*;

    const DOC: &str = "\
# A title

Some text.

```console
$ echo hello
hello
$ false
[exit 1]
```

```sh
$ this is not run
```

```console as=nobody
$ cat <<'EOF'
> a
>
> b
> EOF
a

b
```
";

    pub fn blocks_and_steps_are_read_with_their_lines() {
        let b = blocks(DOC).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(b[0].line, 5);
        assert!(b[0].attrs.is_empty());
        assert_eq!(b[0].steps[0].command, "echo hello");
        assert_eq!(b[0].steps[0].expected, ["hello"]);
        assert_eq!(b[0].steps[0].status, 0);
        assert_eq!(b[0].steps[1].line, 8);
        assert_eq!(b[0].steps[1].status, 1);
        assert!(b[0].steps[1].expected.is_empty());
        assert!(b[1].has("as=nobody"));
    }

    pub fn continuation_lines_join_the_command() {
        let b = blocks(DOC).unwrap();
        assert_eq!(b[1].steps[0].command, "cat <<'EOF'\na\n\nb\nEOF");
        assert_eq!(b[1].steps[0].expected, ["a", "", "b"]);
    }

    pub fn an_unclosed_block_or_output_before_a_command_is_an_error() {
        assert!(blocks("```console\n$ true\n").is_err());
        assert!(blocks("```console\nhello\n$ true\n```\n").is_err());
        assert!(blocks("```console\n$ true\n[exit x]\n```\n").is_err());
    }

    fn m(want: &[&str], got: &[&str]) -> bool {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        output_matches(&want, got)
    }

    pub fn exact_lines_match_and_a_wrong_or_missing_line_does_not() {
        assert!(m(&["a", "b"], &["a", "b"]));
        assert!(!m(&["a", "c"], &["a", "b"]));
        assert!(!m(&["a"], &["a", "b"]));
        assert!(!m(&["a", "b"], &["a"]));
        assert!(m(&[], &[]));
        assert!(!m(&[], &["unexpected"]));
    }

    pub fn dots_match_text_in_a_line_and_any_lines_alone() {
        assert!(m(&["pid ... done"], &["pid 42 done"]));
        assert!(m(&["pid ...done"], &["pid done"]));
        assert!(!m(&["pid ... done"], &["pid 42 gone"]));
        assert!(m(&["...", "last"], &["x", "y", "last"]));
        assert!(m(&["...", "last"], &["last"]));
        assert!(m(
            &["first", "...", "mid", "..."],
            &["first", "a", "mid", "b", "c"]
        ));
        assert!(!m(&["first", "...", "mid"], &["first", "a", "b"]));
    }

    pub fn bounds_check_the_number_in_their_place() {
        assert!(m(&["used [<=25]% of one CPU"], &["used 19% of one CPU"]));
        assert!(m(&["used [<=25]% of one CPU"], &["used 25% of one CPU"]));
        assert!(!m(&["used [<=25]% of one CPU"], &["used 26% of one CPU"]));
        assert!(!m(&["used [<=25]% of one CPU"], &["used many% of one CPU"]));
        assert!(m(&["[>=864000] ..."], &["864123.45 1234.56"]));
        assert!(!m(&["[>=864000] ..."], &["1234.56 1234.56"]));
        assert!(m(&["   [<=2] ps"], &["   2 ps"]));
    }

    pub fn variables_are_substituted_by_whole_name() {
        let vars = vec![
            ("T".to_string(), "/tmp/x".to_string()),
            ("ROOT".to_string(), "/tmp/x/root".to_string()),
        ];
        assert_eq!(
            substitute("$ROOT/etc and $T/a", &vars),
            "/tmp/x/root/etc and /tmp/x/a"
        );
        assert_eq!(substitute("$TMP stays", &vars), "$TMP stays");
    }
}
