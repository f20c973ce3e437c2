using System.CommandLine;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Plugins;

namespace RouterHost.Cli;

/// <summary><c>routerhost validate</c>: checks a configuration without touching any device.</summary>
internal static class ValidateCommand
{
    public static Command Create() => CliConfiguration.CreateCommand(
        "validate",
        "Check a configuration and every plugin setting it uses; exit 1 listing each problem by key path.",
        Check);

    public static int Run(ParseResult parseResult, TextWriter output, TextWriter error) => CliConfiguration.Run(parseResult, output, error, Check);

    private static int Check(IConfiguration configuration, PluginCatalog catalog, TextWriter output, TextWriter error)
    {
        List<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        foreach (PluginFolderError folder in catalog.FolderErrors)
        {
            if (folder.Refused)
            {
                // Not an error unless the configuration uses what it holds, but never silent.
                error.WriteLine($"warning: {folder.Message}; nothing in it was loaded");
            }
        }

        foreach (ConfigurationProblem warning in catalog.PathWarnings)
        {
            error.WriteLine($"warning: {warning.Path}: {warning.Message}");
        }

        if (problems.Count > 0)
        {
            foreach (ConfigurationProblem problem in problems)
            {
                error.WriteLine($"error: {problem.Path}: {problem.Message}");
            }

            error.WriteLine($"{problems.Count} problem(s) found; the configuration is not valid.");
            return 1;
        }

        foreach (ConfigurationProblem warning in ConfigurationValidator.Warnings(configuration, catalog, options))
        {
            error.WriteLine($"warning: {warning.Path}: {warning.Message}");
        }

        foreach (ConfigurationProblem note in ConfigurationValidator.Notes(configuration, catalog, options))
        {
            output.WriteLine($"note: {note.Path}: {note.Message}");
        }

        foreach (PluginDescriptor plugin in catalog.Plugins)
        {
            if (plugin.ShadowedBy is { } winner)
            {
                // As run logs it: which build of a plugin the configuration gets is worth knowing before it runs.
                output.WriteLine($"note: plugin {plugin.Name} in {plugin.Source} is shadowed by the one in {winner}, searched first: not loaded");
            }
        }

        output.WriteLine($"Configuration is valid: {options.Interfaces.Count} interface(s), {options.Pipeline.Stages.Count} stage(s).");
        return 0;
    }
}
