using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

public sealed class RouterOptionsReaderPropertyTests
{
    private static readonly string[] s_segments =
        ["Pipeline", "BatchSize", "Stages", "0", "1", "Type", "Name", "Settings", "Interfaces", "tun0", "mem0", "Backend", "Groups",
         "Plugins", "Path", "Paths", "Shutdown", "TimeoutSeconds", "Queues", "Mode", "To", "x", "", " ", "-1", "99999999999",
         "Metrics", "Prometheus", "Log", "Format", "Journal"];

    private static readonly string[] s_values =
        ["", "0", "1", "64", "-5", "abc", "Memory", "Forward", "PassThrough", "mem0", "Generate", "1e9", "NaN", "true", "\u0000", "tun 0", "a/b",
         "127.0.0.1:9586", "[::1]:9586", "[fe80::1%2]:1", "9586", "70000", "::1", "off", "json", "compact-json", "on"];

    [Fact]
    public void Random_configurations_never_throw_and_every_problem_names_a_key_path()
    {
        Gen<string> key = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(Gen.Elements(s_segments), n)).Select(parts => string.Join(":", parts));
        Gen<KeyValuePair<string, string?>> entry = key.SelectMany(k => Gen.Elements(s_values).Select(v => new KeyValuePair<string, string?>(k, v)));
        Gen<KeyValuePair<string, string?>[]> entries = Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(entry, n));

        Prop.ForAll(entries.ToArbitrary(), pairs =>
        {
            var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in pairs)
            {
                data[pair.Key] = pair.Value;
            }

            IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
            List<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options);
            foreach (ConfigurationProblem problem in problems)
            {
                // The path is a key that exists in the configuration, or a required key under one that does.
                Assert.NotEmpty(problem.Path);
                Assert.False(string.IsNullOrWhiteSpace(problem.Message));
                string parent = problem.Path.Contains(':', StringComparison.Ordinal) ? problem.Path[..problem.Path.LastIndexOf(':')] : problem.Path;
                bool blankKey = problem.Path.Contains("(empty key", StringComparison.Ordinal);
                Assert.True(blankKey || configuration.GetSection(problem.Path).Exists() || configuration.GetSection(parent).Exists(), problem.ToString());
            }

            Assert.InRange(options.Pipeline.BatchSize, 1, RouterOptionsReader.MaxBatchSize);
            return true;
        }).QuickCheckThrowOnFailure();
    }
}
