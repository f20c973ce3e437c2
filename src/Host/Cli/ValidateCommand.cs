using System.CommandLine;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Plugins;

namespace RouterHost.Cli;

/// <summary><c>routerhost validate</c>: checks a configuration without touching any device.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var command = new Command("validate", "Check a configuration and every plugin setting it uses; exit 1 listing each problem by key path.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(parseResult => Run(parseResult, Console.Out, Console.Error));
        return command;
    }

    public static int Run(ParseResult parseResult, TextWriter output, TextWriter error)
    {
        var configuration = CliConfiguration.Load(parseResult, error);
        if (configuration is null)
        {
            return 1;
        }

        PluginCatalog catalog = PluginDiscovery.Discover(configuration);
        List<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        if (problems.Count > 0)
        {
            foreach (ConfigurationProblem problem in problems)
            {
                error.WriteLine($"error: {problem.Path}: {problem.Message}");
            }

            error.WriteLine($"{problems.Count} problem(s) found; the configuration is not valid.");
            return 1;
        }

        output.WriteLine($"Configuration is valid: {options.Interfaces.Count} interface(s), {options.Pipeline.Stages.Count} stage(s).");
        return 0;
    }
}
