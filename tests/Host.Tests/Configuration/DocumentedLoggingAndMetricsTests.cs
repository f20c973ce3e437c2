using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

/// <summary>The configuration snippets of docs/metrics.md and of "Logs" in docs/configuration.md load as written.</summary>
public sealed partial class DocumentedLoggingAndMetricsTests
{
    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    private static List<string> Blocks(string file, string? fromHeading = null)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", file));
        if (fromHeading is not null)
        {
            int at = text.IndexOf(fromHeading, StringComparison.Ordinal);
            Assert.True(at >= 0, $"'{fromHeading}' is gone from docs/{file}");
            text = text[at..];
        }

        return [.. JsonBlock().Matches(text).Select(m => m.Groups[1].Value)];
    }

    private static IConfigurationRoot Load(string snippet) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{" + snippet + "}"))).Build();

    [Fact]
    public void The_metrics_snippet_turns_the_endpoint_on_at_the_documented_address()
    {
        string snippet = Assert.Single(Blocks("metrics.md"));
        var problems = new List<ConfigurationProblem>();
        RouterOptions options = RouterOptionsReader.Read(Load(snippet), AppContext.BaseDirectory, problems);
        Assert.Empty(problems);
        Assert.Equal("127.0.0.1:9586", options.Prometheus?.ToString());
    }

    [Fact]
    public void The_logging_snippets_are_accepted_and_build_a_logger()
    {
        List<string> blocks = Blocks("configuration.md", "## Logs");
        Assert.Equal(2, blocks.Count);

        IConfigurationRoot json = Load(blocks[0]);
        var problems = new List<ConfigurationProblem>();
        RouterOptionsReader.Read(json, AppContext.BaseDirectory, problems);
        Assert.Empty(problems);
        Assert.Equal(LogFormat.Json, LogOptions.Read(json, null).Format);

        using var dir = new TempDirectory();
        string own = blocks[1].Replace("/var/log/routerhost/router.log", dir.Combine("router.log"), StringComparison.Ordinal);
        IConfigurationRoot serilog = Load(own);
        RouterOptionsReader.Read(serilog, AppContext.BaseDirectory, problems);
        Assert.Empty(problems);
        using Serilog.Core.Logger logger = LoggingSetup.Create(serilog);
        logger.Information("written by {Test}", nameof(DocumentedLoggingAndMetricsTests));
    }
}
