//! Clock offsets of a new time namespace. They can be written only before
//! any process has entered it, that is, after unshare(2) and before fork.

use sk_common::{verbose, Cannot, Result};

pub fn write_offsets(monotonic: i64, boottime: i64) -> Result<()> {
    if monotonic == 0 && boottime == 0 {
        return Ok(());
    }
    let text = format!("monotonic {monotonic} 0\nboottime {boottime} 0\n");
    std::fs::write("/proc/self/timens_offsets", text).cannot("write /proc/self/timens_offsets")?;
    verbose!("time namespace offsets: monotonic {monotonic}s, boottime {boottime}s");
    Ok(())
}
