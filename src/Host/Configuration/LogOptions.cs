using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Configuration;

/// <summary>How console log lines are written: as text or one JSON object per line (<c>Log:Format</c>).</summary>
internal enum LogFormat
{
    /// <summary>The human template: time, level, source, message.</summary>
    Text,

    /// <summary>Serilog's <c>JsonFormatter</c> (rendered message included): <c>Timestamp</c>, <c>Level</c>, <c>MessageTemplate</c>, <c>RenderedMessage</c>, <c>Properties</c>.</summary>
    Json,

    /// <summary>Serilog's compact format (CLEF): <c>@t</c>, <c>@l</c>, <c>@m</c>, <c>@mt</c>, properties at the top level.</summary>
    CompactJson,
}

/// <summary>Whether console lines carry a syslog priority prefix (<c>&lt;3&gt;</c>) for journald (<c>Log:Journal</c>).</summary>
internal enum JournalPrefix
{
    /// <summary>When the JOURNAL_STREAM environment variable says stdout/stderr is the journal (systemd sets it).</summary>
    Auto,

    /// <summary>Always.</summary>
    On,

    /// <summary>Never.</summary>
    Off,
}

/// <summary>
/// The console sink's shape: <c>Log:Format</c> (<c>text</c>, <c>json</c>, <c>compact-json</c>) and <c>Log:Journal</c>
/// (<c>auto</c>, <c>on</c>, <c>off</c>). They apply to the console sink RouterHost adds when <c>Serilog:WriteTo</c> is
/// not configured; a configured <c>WriteTo</c> is Serilog's own and used as written.
/// </summary>
internal sealed record LogOptions(LogFormat Format, JournalPrefix Journal)
{
    /// <summary>Reads both keys; a bad value is a problem naming its key path (and the default is used).</summary>
    public static LogOptions Read(IConfiguration configuration, List<ConfigurationProblem>? problems)
    {
        IConfigurationSection format = configuration.GetSection(ConfigurationKeys.LogFormat);
        LogFormat logFormat = LogFormat.Text;
        switch (format.Value?.Trim().ToLowerInvariant())
        {
            case null or "" or "text":
                break;
            case "json":
                logFormat = LogFormat.Json;
                break;
            case "compact-json" or "compact":
                logFormat = LogFormat.CompactJson;
                break;
            default:
                problems?.Add(new(format.Path, $"must be \"text\", \"json\" or \"compact-json\" (got '{format.Value}')"));
                break;
        }

        IConfigurationSection journal = configuration.GetSection(ConfigurationKeys.LogJournal);
        JournalPrefix prefix = JournalPrefix.Auto;
        switch (journal.Value?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto":
                break;
            case "on" or "true":
                prefix = JournalPrefix.On;
                break;
            case "off" or "false":
                prefix = JournalPrefix.Off;
                break;
            default:
                problems?.Add(new(journal.Path, $"must be \"auto\" (prefix when JOURNAL_STREAM is set), \"on\" or \"off\" (got '{journal.Value}')"));
                break;
        }

        return new LogOptions(logFormat, prefix);
    }
}
