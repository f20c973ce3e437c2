using System.Reflection;
using Microsoft.Extensions.Configuration;
using RouterHost.Linux;

namespace RouterHost.Configuration;

/// <summary>
/// Builds the layered configuration: the embedded default <c>appsettings.json</c>, then each file given with
/// <c>--config</c> (a folder stands for its <c>*.json</c> files in ordinal name order, e.g. <c>conf.d</c>; watched for changes, and read only while <see cref="FileTrust"/> trusts it), then <c>ROUTERHOST__</c> environment variables, then command-line
/// <c>Key=Value</c> / <c>--Key=Value</c> overrides. Later layers win.
/// </summary>
internal static class RouterConfiguration
{
    /// <summary>The manifest name of the embedded default configuration.</summary>
    public const string EmbeddedDefaultsResource = "RouterHost.appsettings.json";

    public static IConfigurationRoot Build(IReadOnlyList<string> configFiles, IReadOnlyList<string> overrides, IDictionary<string, string?>? extra = null)
    {
        var builder = new ConfigurationBuilder();

        // The defaults become an in-memory layer: a stream provider cannot be loaded twice, and SIGHUP reloads
        // every layer.
        builder.AddInMemoryCollection(new ConfigurationBuilder().AddJsonStream(OpenEmbeddedDefaults()).Build().AsEnumerable());
        foreach (string file in configFiles)
        {
            string full = Path.GetFullPath(file);
            if (Directory.Exists(full))
            {
                // A folder (conf.d) stands for its *.json files in ordinal name order; an empty folder adds nothing.
                // Files added to it later are read at the next start, not by SIGHUP.
                string[] layers = Directory.GetFiles(full, "*.json");
                Array.Sort(layers, StringComparer.Ordinal);
                foreach (string layer in layers)
                {
                    AddTrustedJsonFile(builder, layer);
                }

                continue;
            }

            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"Configuration file '{full}' does not exist; give an existing file or folder to --config.", full);
            }

            AddTrustedJsonFile(builder, full);
        }

        // Both override layers may address a stage by its Name as well as its position (StageNameOverrideProvider).
        builder.Add(new StageNameOverrideSource(
            new Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource { Prefix = ConfigurationKeys.EnvironmentPrefix },
            $"an environment variable {ConfigurationKeys.EnvironmentPrefix}{ConfigurationKeys.Pipeline}__{ConfigurationKeys.Stages}__NAME__..."));
        if (overrides.Count > 0)
        {
            builder.Add(new StageNameOverrideSource(
                new Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationSource { Args = Normalize(overrides) },
                $"a command-line override {ConfigurationKeys.Pipeline}:{ConfigurationKeys.Stages}:NAME:..."));
        }

        if (extra is not null)
        {
            builder.AddInMemoryCollection(extra);
        }

        IConfigurationRoot root = builder.Build();
        StageNameOverrideSource.Connect(root);
        return root;
    }

    /// <summary>
    /// Adds <paramref name="file"/> as a watched JSON layer read only while <see cref="FileTrust"/> trusts it; throws
    /// <see cref="ConfigurationFileRefusedException"/> (naming the file, what is wrong and the fix) when it is not.
    /// </summary>
    public static IConfigurationBuilder AddTrustedJsonFile(IConfigurationBuilder builder, string file)
    {
        string full = Path.GetFullPath(file);
        if (!FileTrust.Check(full, TrustedPathKind.ConfigurationFile, out string? problem))
        {
            throw new ConfigurationFileRefusedException(problem!);
        }

        var source = new TrustedJsonConfigurationSource { FullPath = full, Path = full, Optional = false, ReloadOnChange = true };
        source.ResolveFileProvider();
        return builder.Add(source);
    }

    /// <summary>The embedded default configuration's text.</summary>
    public static string ReadEmbeddedDefaults()
    {
        using var reader = new StreamReader(OpenEmbeddedDefaults());
        return reader.ReadToEnd();
    }

    private static Stream OpenEmbeddedDefaults() =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream(EmbeddedDefaultsResource)
        ?? throw new InvalidOperationException($"The embedded default configuration '{EmbeddedDefaultsResource}' is missing from the build.");

    /// <summary>Accepts <c>Key=Value</c> as well as <c>--Key=Value</c>.</summary>
    private static string[] Normalize(IReadOnlyList<string> overrides)
    {
        var result = new string[overrides.Count];
        for (int i = 0; i < overrides.Count; i++)
        {
            string o = overrides[i];
            result[i] = o.StartsWith('-') || !o.Contains('=', StringComparison.Ordinal) ? o : "--" + o;
        }

        return result;
    }
}
