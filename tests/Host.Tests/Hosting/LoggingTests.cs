using System.Text.Json;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Tests.Support;
using Serilog.Events;
using Serilog.Parsing;

namespace RouterHost.Tests.Hosting;

/// <summary>
/// Console logs: text, JSON or compact JSON from <c>Log:Format</c> (file or environment), an operator's own
/// <c>Serilog:WriteTo</c> used as written, and syslog priority prefixes when standard error is the journal.
/// </summary>
public sealed class LoggingTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static LogEvent Event(LogEventLevel level, string template, Exception? exception = null, params LogEventProperty[] properties) =>
        new(DateTimeOffset.UnixEpoch, level, exception, new MessageTemplateParser().Parse(template), properties);

    private static string Format(LogOptions options, string? journalStream, LogEvent logEvent)
    {
        var output = new StringWriter();
        LoggingSetup.CreateFormatter(options, journalStream).Format(logEvent, output);
        return output.ToString();
    }

    [Theory]
    [InlineData(LogEventLevel.Fatal, 2)]
    [InlineData(LogEventLevel.Error, 3)]
    [InlineData(LogEventLevel.Warning, 4)]
    [InlineData(LogEventLevel.Information, 6)]
    [InlineData(LogEventLevel.Debug, 7)]
    [InlineData(LogEventLevel.Verbose, 7)]
    public void With_JOURNAL_STREAM_set_every_line_starts_with_the_levels_syslog_priority(LogEventLevel level, int priority)
    {
        string text = Format(new LogOptions(LogFormat.Text, JournalPrefix.Auto), "8:12345", Event(level, "line one", new InvalidOperationException("boom")));
        string[] lines = text.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length > 1, text); // the exception's lines too
        Assert.All(lines, line => Assert.StartsWith($"<{priority}>", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Without_JOURNAL_STREAM_or_with_Journal_off_there_is_no_prefix_and_with_on_there_always_is()
    {
        LogEvent warning = Event(LogEventLevel.Warning, "careful");
        Assert.StartsWith("[", Format(new LogOptions(LogFormat.Text, JournalPrefix.Auto), null, warning), StringComparison.Ordinal);
        Assert.StartsWith("[", Format(new LogOptions(LogFormat.Text, JournalPrefix.Off), "8:1", warning), StringComparison.Ordinal);
        Assert.StartsWith("<4>[", Format(new LogOptions(LogFormat.Text, JournalPrefix.On), null, warning), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_parse_and_carry_level_message_and_properties()
    {
        LogEvent logEvent = Event(LogEventLevel.Warning, "Peer {Peer} sent {Bytes} bytes", null, new LogEventProperty("Peer", new ScalarValue("site-b")), new LogEventProperty("Bytes", new ScalarValue(1234)));

        using JsonDocument json = JsonDocument.Parse(Format(new LogOptions(LogFormat.Json, JournalPrefix.Off), null, logEvent));
        Assert.Equal("Warning", json.RootElement.GetProperty("Level").GetString());
        Assert.Equal("Peer \"site-b\" sent 1234 bytes", json.RootElement.GetProperty("RenderedMessage").GetString());
        Assert.Equal("site-b", json.RootElement.GetProperty("Properties").GetProperty("Peer").GetString());
        Assert.Equal(1234, json.RootElement.GetProperty("Properties").GetProperty("Bytes").GetInt32());

        string compact = Format(new LogOptions(LogFormat.CompactJson, JournalPrefix.On), null, logEvent);
        Assert.StartsWith("<4>{", compact, StringComparison.Ordinal);
        using JsonDocument clef = JsonDocument.Parse(compact["<4>".Length..]);
        Assert.Equal("Warning", clef.RootElement.GetProperty("@l").GetString());
        Assert.Equal("Peer \"site-b\" sent 1234 bytes", clef.RootElement.GetProperty("@m").GetString());
        Assert.Equal("site-b", clef.RootElement.GetProperty("Peer").GetString());
    }

    [Theory]
    [InlineData("Log:Format", "yaml")]
    [InlineData("Log:Journal", "maybe")]
    public void A_bad_Log_value_is_a_problem_naming_its_key_path(string key, string value)
    {
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var problems = new List<ConfigurationProblem>();
        LogOptions.Read(configuration, problems);
        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal(key, problem.Path);
        Assert.Contains($"(got '{value}')", problem.Message, StringComparison.Ordinal);
    }

    private static string Config(TempDirectory dir, string extra) => dir.WriteFile("router.json", $$"""
        {
          "Plugins": { "Path": "{{RepositoryPaths.TestPlugins}}" },
          "Control": { "Socket": "off" },
          {{extra}}
          "Pipeline": { "Stages": [ { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
          "Interfaces": {
            "mem0": { "Backend": "Memory", "Settings": { "Mode": "Generate", "PacketSize": 200 } },
            "mem1": { "Backend": "Memory", "Settings": { "Mode": "Generate" } } }
        }
        """);

    [Theory]
    [InlineData("\"Log\": { \"Format\": \"json\" },", null, "6", "Level")]
    [InlineData("", "compact-json", null, "@m")]
    [InlineData("\"Serilog\": { \"WriteTo\": [ { \"Name\": \"Console\", \"Args\": { \"formatter\": \"Serilog.Formatting.Compact.CompactJsonFormatter, Serilog.Formatting.Compact\" } } ] },", null, null, "@mt")]
    public void A_running_router_logs_JSON_chosen_by_file_or_environment_with_journal_prefixes_when_JOURNAL_STREAM_is_set(string fileSetting, string? environmentFormat, string? journalPriority, string jsonField)
    {
        using var dir = new TempDirectory();
        var environment = new Dictionary<string, string>();
        if (environmentFormat is not null)
        {
            environment["ROUTERHOST__Log__Format"] = environmentFormat;
        }

        if (journalPriority is not null)
        {
            environment[LoggingSetup.JournalStreamVariable] = "8:4242";
        }

        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", Config(dir, fileSetting)], environment);
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);
        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);

        string prefix = journalPriority is null ? string.Empty : $"<{journalPriority}>";
        string ready = Assert.Single(router.Lines, l => l.Contains("RouterHost ready", StringComparison.Ordinal));
        Assert.StartsWith(prefix + "{", ready, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(ready[prefix.Length..]);
        Assert.True(json.RootElement.TryGetProperty(jsonField, out _), ready);
        Assert.All(router.Lines.Where(l => l.Length > 0), line => Assert.Matches(journalPriority is null ? "^\\{" : "^<[2-7]>\\{", line));
    }
}
