using System.Text.Json;

namespace RouterHost.Plugins;

/// <summary>
/// The <c>runtimeOptions.additionalProbingPaths</c> of a plugin's <c>&lt;entry&gt;.runtimeconfig.json</c> and
/// <c>&lt;entry&gt;.runtimeconfig.dev.json</c>. McMaster.NETCore.Plugins reads them and searches those folders for
/// assemblies and native libraries the plugin's own folder lacks: folders outside the plugin folder, which no trust
/// check covers. So discovery refuses a plugin folder whose runtime config names any (read here before loading).
/// The reading is conservative: a file the loader would ignore (not JSON as <c>System.Text.Json</c> reads it) names
/// none; otherwise every <c>additionalProbingPaths</c> array under a <c>runtimeOptions</c> object counts, in any case.
/// </summary>
internal static class PluginRuntimeConfig
{
    /// <summary>The runtime config files of the entry assembly <paramref name="entryAssembly"/> that the loader reads.</summary>
    public static string[] FilesFor(string entryAssembly)
    {
        string stem = Path.Combine(Path.GetDirectoryName(entryAssembly)!, Path.GetFileNameWithoutExtension(entryAssembly));
        return [stem + ".runtimeconfig.json", stem + ".runtimeconfig.dev.json"];
    }

    /// <summary>The probing paths <paramref name="json"/> names (as written; a non-string entry as its JSON text); empty when none.</summary>
    public static List<string> ProbingPaths(ReadOnlyMemory<byte> json)
    {
        var paths = new List<string>();
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            // Names and strings could not be read (System.Text.Json throws when it transcodes them); Problem refuses such
            // a file on its own, since a loader comparing raw bytes might still find probing paths in it.
            return paths;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return paths; // the loader ignores a file it cannot read
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return paths;
            }

            foreach (JsonProperty options in document.RootElement.EnumerateObject())
            {
                if (!string.Equals(options.Name, "runtimeOptions", StringComparison.OrdinalIgnoreCase) || options.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (JsonProperty probing in options.Value.EnumerateObject())
                {
                    if (!string.Equals(probing.Name, "additionalProbingPaths", StringComparison.OrdinalIgnoreCase) || probing.Value.ValueKind != JsonValueKind.Array)
                    {
                        continue;
                    }

                    foreach (JsonElement path in probing.Value.EnumerateArray())
                    {
                        paths.Add(path.ValueKind == JsonValueKind.String ? path.GetString()! : path.GetRawText());
                    }
                }
            }
        }

        return paths;
    }

    /// <summary>Why the plugin whose entry is <paramref name="entryAssembly"/> must not be loaded for its runtime config; null when it may.</summary>
    public static string? Problem(string entryAssembly)
    {
        foreach (string file in FilesFor(entryAssembly))
        {
            if (!File.Exists(file))
            {
                continue;
            }

            byte[] bytes = File.ReadAllBytes(file);
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
            {
                return $"'{Path.GetFileName(file)}' is not valid UTF-8, so the probing paths the loader would search cannot be checked; "
                    + "rebuild the plugin (dotnet writes UTF-8) or remove the file from the plugin folder";
            }

            List<string> paths = ProbingPaths(bytes);
            if (paths.Count > 0)
            {
                return $"'{Path.GetFileName(file)}' names runtimeOptions.additionalProbingPaths ({string.Join(", ", paths.Select(p => $"'{p}'"))}): "
                    + "folders outside the plugin folder, which the loader would search for assemblies and native libraries without any trust check; "
                    + "remove additionalProbingPaths from it and put the plugin's dependencies in its folder";
            }
        }

        return null;
    }
}
