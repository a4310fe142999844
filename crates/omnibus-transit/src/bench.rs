//! Small helpers the benchmark binaries share: peak memory and percentiles.

/// Peak resident memory of this process, MiB (0 where `/proc` has none).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1_024.0)
}

/// The `q` quantile (nearest rank) of ascending `sorted` values; 0 when empty.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The options every query benchmark takes: `--queries N`, `--seed S`,
/// `--out FILE` and `-h`/`--help`; anything else is left in `rest`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryArgs {
    /// Queries to time.
    pub queries: usize,
    /// Seed of the random queries.
    pub seed: u64,
    /// Where the JSON report goes.
    pub out: String,
    /// Whether help was asked for.
    pub help: bool,
    /// The other arguments, in order.
    pub rest: Vec<String>,
}

impl QueryArgs {
    /// Parses `args` (without the program name) over the given defaults; a
    /// missing or malformed value is an error naming the option.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        queries: usize,
        seed: u64,
        out: &str,
    ) -> Result<QueryArgs, String> {
        let mut parsed = QueryArgs { queries, seed, out: out.to_owned(), help: false, rest: Vec::new() };
        let mut args = args.into_iter();
        while let Some(a) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match a.as_str() {
                "--queries" => {
                    let v = value("--queries")?;
                    parsed.queries = v.parse().map_err(|_| format!("--queries {v:?}: not a count"))?;
                }
                "--seed" => {
                    let v = value("--seed")?;
                    parsed.seed = v.parse().map_err(|_| format!("--seed {v:?}: not a number"))?;
                }
                "--out" => parsed.out = value("--out")?,
                "-h" | "--help" => parsed.help = true,
                _ => parsed.rest.push(a),
            }
        }
        Ok(parsed)
    }

    /// For a benchmark that takes nothing beyond these options: `None` when
    /// help was asked for, an error naming an argument it does not take.
    pub fn without_rest(self) -> Result<Option<QueryArgs>, String> {
        match (self.help, self.rest.first()) {
            (true, _) => Ok(None),
            (false, Some(a)) => Err(format!("unexpected argument {a:?}")),
            (false, None) => Ok(Some(self)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<QueryArgs, String> {
        QueryArgs::parse(a.iter().map(|s| s.to_string()), 10, 1, "x.json")
    }

    #[test]
    fn a_benchmark_without_positional_arguments_refuses_them() {
        assert_eq!(args(&["--seed", "3"]).unwrap().without_rest().unwrap().map(|a| a.seed), Some(3));
        assert_eq!(args(&["--help", "x"]).unwrap().without_rest(), Ok(None));
        assert_eq!(
            args(&["feed.zip"]).unwrap().without_rest(),
            Err("unexpected argument \"feed.zip\"".into())
        );
    }

    #[test]
    fn query_args_parse_and_name_bad_values() {
        let a = args(&["--queries", "5", "feed.zip", "--seed", "9", "--out", "y.json"]).unwrap();
        assert_eq!(
            (a.queries, a.seed, a.out.as_str(), a.rest),
            (5, 9, "y.json", vec!["feed.zip".to_owned()])
        );
        assert_eq!(args(&["--queries", "many"]).unwrap_err(), "--queries \"many\": not a count");
        assert_eq!(args(&["--seed"]).unwrap_err(), "--seed needs a value");
        assert!(args(&["-h"]).unwrap().help);
    }
}
