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
