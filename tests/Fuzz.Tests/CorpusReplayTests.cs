namespace RouterHost.Fuzz.Tests;

/// <summary>
/// Every input kept for a fuzz target — its corpus (seeds and what campaigns found worth keeping) and its crashes
/// (each a regression test: the input that once broke a parser) — runs through the target in-process without an
/// exception, exactly as afl-fuzz ran it.
/// </summary>
public sealed class CorpusReplayTests
{
    public static TheoryData<string> Targets { get; } = new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_corpus_and_crash_input_of_the_target_runs_without_an_exception(string name)
    {
        IFuzzTarget target = FuzzTargets.Create(name)!;
        try
        {
            string[] corpus = Inputs("corpus", name);
            Assert.True(corpus.Length > 0, $"fuzz/corpus/{name} has no inputs: afl-fuzz needs at least one (RouterHost.Fuzz seed {name} fuzz/corpus)");
            var failures = new List<string>();
            foreach (string path in corpus.Concat(Inputs("crashes", name)))
            {
                try
                {
                    target.Run(File.ReadAllBytes(path));
                }
                catch (Exception ex)
                {
                    failures.Add($"{Path.GetRelativePath(RepositoryPaths.Root, path)}: {ex}");
                }
            }

            Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_target_passes_its_own_seeds(string name)
    {
        IFuzzTarget target = FuzzTargets.Create(name)!;
        try
        {
            foreach (KeyValuePair<string, byte[]> seed in target.Seeds())
            {
                target.Run(seed.Value);
            }
        }
        finally
        {
            (target as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void The_wireguard_target_reaches_authenticated_transport_and_the_under_load_cookie_path()
    {
        using var target = new Targets.WireGuardTarget();
        Dictionary<string, byte[]> seeds = target.Seeds().ToDictionary(s => s.Key, s => s.Value);
        long transports = target.TransportsAccepted;
        target.Run(seeds["transport-ipv4"]);
        Assert.Equal(transports + 1, target.TransportsAccepted);

        target.Run(seeds["flood-initiations"]);
        long cookieReplies = target.CookieRepliesSent;
        Assert.True(cookieReplies > 0, "a flood of initiations put the stage under load and it answered with cookie replies");

        // The next run is not under load any more: a genuine initiation gets no cookie reply.
        target.Run(seeds["genuine-initiation"]);
        Assert.Equal(cookieReplies, target.CookieRepliesSent);
    }

    [Fact]
    public void A_broken_invariant_is_an_exception_afl_fuzz_counts_as_a_crash()
    {
        InvariantViolationException.Check(true, "holds");
        var thrown = Assert.Throws<InvariantViolationException>(() => InvariantViolationException.Check(false, "a rule"));
        Assert.Equal("a rule", thrown.Message);
    }

    [Fact]
    public void Records_are_read_as_control_byte_length_and_bytes_whatever_the_input()
    {
        byte[] input = FuzzInput.Records((1, [10, 11]), (2, []));
        var reader = new FuzzInput([.. input, 7, 0, 9, 1, 2]);
        var read = new List<(byte, byte[])>();
        while (reader.TryNext(out byte control, out ReadOnlySpan<byte> bytes))
        {
            read.Add((control, bytes.ToArray()));
        }

        // The last record claims 9 bytes and has 2: it gets what is there.
        Assert.Equal([(1, [10, 11]), (2, []), (7, [1, 2])], read, (a, b) => a.Item1 == b.Item1 && a.Item2.SequenceEqual(b.Item2));
    }

    private static string[] Inputs(string kind, string target)
    {
        string folder = Path.Combine(RepositoryPaths.Root, "fuzz", kind, target);
        return Directory.Exists(folder)
            ? [.. Directory.GetFiles(folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)]
            : [];
    }
}
