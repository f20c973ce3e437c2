using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Settings.Configuration;

namespace RouterHost.Hosting;

/// <summary>
/// Builds the Serilog logger from the <c>Serilog</c> configuration section (console by default; a file sink
/// when configured). The sink assemblies are named explicitly so this works without a dependency scan.
/// </summary>
internal static class LoggingSetup
{
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static Serilog.Core.Logger Create(IConfiguration configuration)
    {
        var options = new ConfigurationReaderOptions(
            typeof(ConsoleLoggerConfigurationExtensions).Assembly,
            typeof(FileLoggerConfigurationExtensions).Assembly)
        {
            SectionName = "Serilog",
        };

        var logger = new LoggerConfiguration().ReadFrom.Configuration(configuration, options);
        if (!configuration.GetSection("Serilog:WriteTo").GetChildren().Any())
        {
            logger = logger.WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose);
        }

        return logger.CreateLogger();
    }
}
