using System.CommandLine;
using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;

namespace RouterHost.Cli;

/// <summary>The options every command shares: configuration files and key overrides.</summary>
internal static class CliConfiguration
{
    public static readonly Option<string[]> ConfigOption = new("--config", "-c")
    {
        Description = "A JSON configuration file layered over the embedded defaults (repeatable; later files win). "
            + "Environment variables ROUTERHOST__Section__Key and trailing Key=Value arguments override both.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        Recursive = true,
    };

    /// <summary>
    /// A command that reads the configuration (and takes trailing Key=Value overrides) and then runs
    /// <paramref name="run"/> with it, the plugin catalog it names, and the console's writers.
    /// </summary>
    public static Command CreateCommand(string name, string description, Func<Microsoft.Extensions.Configuration.IConfigurationRoot, Plugins.PluginCatalog, TextWriter, TextWriter, int> run)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction(parseResult => Run(parseResult, Console.Out, Console.Error, run));
        return command;
    }

    /// <summary>Loads configuration and plugins for <paramref name="parseResult"/> and runs <paramref name="run"/>; 1 if the configuration cannot be read.</summary>
    public static int Run(ParseResult parseResult, TextWriter output, TextWriter error, Func<Microsoft.Extensions.Configuration.IConfigurationRoot, Plugins.PluginCatalog, TextWriter, TextWriter, int> run)
    {
        IConfigurationRoot? configuration = Load(parseResult, error);
        return configuration is null ? 1 : run(configuration, Plugins.PluginDiscovery.Discover(configuration), output, error);
    }

    /// <summary>Builds the configuration for a parsed command; on a file problem writes it and returns null.</summary>
    public static IConfigurationRoot? Load(ParseResult parseResult, TextWriter error)
    {
        string[] files = parseResult.GetValue(ConfigOption) ?? [];
        try
        {
            return RouterConfiguration.Build(files, parseResult.UnmatchedTokens);
        }
        catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {Describe(ex)}");
            return null;
        }
    }

    private static string Describe(Exception ex)
    {
        // The JSON provider wraps the parser's message (with line and position) in its own.
        var parts = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            parts.Add(e.Message);
        }

        return string.Join(" ", parts);
    }
}
