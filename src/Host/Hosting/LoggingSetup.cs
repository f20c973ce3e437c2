using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;
using Serilog;
using Serilog.Events;
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
/// explicitly so this works without a dependency scan. The generic host's own "Hosting failed to start" error (with the
/// exception's stack) is filtered out: <c>routerhost run</c> logs every start failure itself, a
/// <see cref="Pipeline.RouterStartupException"/> as its one-line reason and anything else with its stack.
/// </summary>
internal static class LoggingSetup
{
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>The variable systemd sets (to the device and inode of the stream) when stdout/stderr is the journal.</summary>
    public const string JournalStreamVariable = "JOURNAL_STREAM";

    /// <summary>The generic host's log category.</summary>
    private const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>Microsoft.Extensions.Hosting's <c>LoggerEventIds.HostedServiceStartupFaulted</c> ("Hosting failed to start").</summary>
    private const int HostStartupFaultedEventId = 11;

    public static Serilog.Core.Logger Create(IConfiguration configuration)
    {
        var options = new ConfigurationReaderOptions(
            typeof(ConsoleLoggerConfigurationExtensions).Assembly,
            typeof(FileLoggerConfigurationExtensions).Assembly,
            typeof(CompactJsonFormatter).Assembly)
        {
            SectionName = "Serilog",
        };

        var logger = new LoggerConfiguration().ReadFrom.Configuration(configuration, options)
            .Filter.ByExcluding(IsHostStartupFault);
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
    /// Whether <paramref name="logEvent"/> is Microsoft.Extensions.Hosting's "Hosting failed to start"
    /// (<c>Microsoft.Extensions.Hosting.Internal.Host</c>, event 11 <c>HostedServiceStartupFaulted</c>), which repeats,
    /// with a framework stack trace, the failure <c>routerhost run</c> reports itself.
    /// </summary>
    public static bool IsHostStartupFault(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        return logEvent.Properties.TryGetValue(Serilog.Core.Constants.SourceContextPropertyName, out LogEventPropertyValue? context)
            && context is ScalarValue { Value: HostCategory }
            && logEvent.Properties.TryGetValue("EventId", out LogEventPropertyValue? eventId)
            && eventId is StructureValue structure
            && structure.Properties.Any(p => p.Name == "Id" && p.Value is ScalarValue { Value: HostStartupFaultedEventId });
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
