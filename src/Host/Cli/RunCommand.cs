using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using Serilog;

namespace RouterHost.Cli;

/// <summary><c>routerhost run</c> (the default): runs the router until SIGTERM/SIGINT.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Run the router (the default command) until SIGTERM or SIGINT.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(Run);
        return command;
    }

    public static int Run(ParseResult parseResult)
    {
        IConfigurationRoot? configuration = CliConfiguration.Load(parseResult, Console.Error);
        if (configuration is null)
        {
            return 1;
        }

        Serilog.Core.Logger logger;
        try
        {
            logger = LoggingSetup.Create(configuration);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"error: Serilog: the logging configuration is not usable: {ex.Message}");
            return 1;
        }

        using (logger)
        {
            // RouterHost's own lines name it as their source, as the components' lines name theirs.
            Serilog.ILogger log = logger.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "RouterHost");
            PluginCatalog catalog = PluginDiscovery.Discover(configuration);
            foreach (PluginFolderError folder in catalog.FolderErrors)
            {
                if (folder.Refused)
                {
                    log.Warning("Refused: {Reason}; nothing in it was loaded", folder.Message);
                }
            }

            foreach (ConfigurationProblem warning in catalog.PathWarnings)
            {
                log.Warning("{Path}: {Problem}", warning.Path, warning.Message);
            }

            foreach (PluginDescriptor plugin in catalog.Plugins)
            {
                if (plugin.ShadowedBy is { } winner)
                {
                    log.Information("Plugin {Plugin} in {Folder} is shadowed by the one in {Winner}, searched first: not loaded", plugin.Name, plugin.Source, winner);
                }
            }

            List<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
            if (problems.Count > 0)
            {
                foreach (ConfigurationProblem problem in problems)
                {
                    log.Error("Configuration error at {Path}: {Problem}", problem.Path, problem.Message);
                }

                log.Fatal("Not starting: {Count} configuration problem(s)", problems.Count);
                return 1;
            }

            var outcome = new RunOutcome();
            HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                DisableDefaults = true,
                ContentRootPath = AppContext.BaseDirectory,
                ApplicationName = "routerhost",
            });
            builder.Configuration.AddConfiguration(configuration);
            builder.Logging.ClearProviders();
            builder.Logging.AddSerilog(logger, dispose: false);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout + TimeSpan.FromSeconds(1));
            builder.Services.AddSingleton(options);
            builder.Services.AddKeyedSingleton<IConfiguration>(RouterService.ConfigurationKey, configuration);
            builder.Services.AddSingleton(catalog);
            builder.Services.AddSingleton(outcome);
            builder.Services.AddSingleton<SystemdNotifier>();
            builder.Services.AddSingleton<RouterService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RouterService>());

            try
            {
                using IHost host = builder.Build();
                host.Run();
            }
            catch (RouterStartupException ex)
            {
                log.Fatal("Not starting: {Reason}", ex.Message);
                return 1;
            }
            catch (Exception ex)
            {
                log.Fatal(ex, "RouterHost failed");
                return 1;
            }

            if (outcome.Failure is { } failure)
            {
                log.Fatal("Stopped because {Failure}", failure);
            }

            return outcome.ExitCode;
        }
    }
}
