using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;
using Serilog;
using Serilog.Formatting;
using Serilog.Formatting.Compact;
using Serilog.Formatting.Display;
using Serilog.Formatting.Json;
using Serilog.Settings.Configuration;

namespace RouterHost.Hosting;

/// <summary>
/// Builds the Serilog logger from the <c>Serilog</c> configuration section (levels, and sinks when
/// <c>Serilog:WriteTo</c> names any) and, when it names none, a console sink on standard error shaped by <c>Log:Format</c>
/// (text, JSON, compact JSON) and <c>Log:Journal</c> (syslog priority prefixes for journald). The embedded defaults name no
/// sink, so what an operator configures is never merged with a built-in template. The sink assemblies are named
/// explicitly so this works without a dependency scan.
/// </summary>
internal static class LoggingSetup
{
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>The variable systemd sets (to the device and inode of the stream) when stdout/stderr is the journal.</summary>
    public const string JournalStreamVariable = "JOURNAL_STREAM";

    public static Serilog.Core.Logger Create(IConfiguration configuration)
    {
        var options = new ConfigurationReaderOptions(
            typeof(ConsoleLoggerConfigurationExtensions).Assembly,
            typeof(FileLoggerConfigurationExtensions).Assembly,
            typeof(CompactJsonFormatter).Assembly)
        {
            SectionName = "Serilog",
        };

        var logger = new LoggerConfiguration().ReadFrom.Configuration(configuration, options);
        if (!configuration.GetSection("Serilog:WriteTo").GetChildren().Any())
        {
            var problems = new List<RouterHost.Abstractions.ConfigurationProblem>();
            LogOptions log = LogOptions.Read(configuration, problems);
            if (problems.Count > 0)
            {
                throw new InvalidOperationException(string.Join("; ", problems.Select(p => $"{p.Path}: {p.Message}")));
            }

            ITextFormatter formatter = CreateFormatter(log, Environment.GetEnvironmentVariable(JournalStreamVariable));
            logger = logger.WriteTo.Console(formatter, standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose);
        }

        return logger.CreateLogger();
    }

    /// <summary>
    /// The console formatter for <paramref name="log"/>; wrapped in <see cref="JournalPriorityFormatter"/> when
    /// <c>Log:Journal</c> is <c>on</c>, or <c>auto</c> and <paramref name="journalStream"/> (JOURNAL_STREAM) is set.
    /// </summary>
    public static ITextFormatter CreateFormatter(LogOptions log, string? journalStream)
    {
        ITextFormatter inner = log.Format switch
        {
            LogFormat.Json => new JsonFormatter(renderMessage: true),
            LogFormat.CompactJson => new RenderedCompactJsonFormatter(),
            _ => new MessageTemplateTextFormatter(ConsoleTemplate),
        };

        bool journal = log.Journal == JournalPrefix.On || (log.Journal == JournalPrefix.Auto && !string.IsNullOrEmpty(journalStream));
        return journal ? new JournalPriorityFormatter(inner) : inner;
    }
}
