using System.CommandLine;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Plugins;

namespace RouterHost.Cli;

/// <summary><c>routerhost plugins</c>: lists every plugin found, and why any could not be loaded.</summary>
internal static class PluginsCommand
{
    public static Command Create() => CliConfiguration.CreateCommand(
        "plugins",
        "List the plugin folders searched, in order, and the plugins found: name, kind, version, contract version, capabilities, folder and its SHA-256, load errors, shadowed plugins, and folders refused as untrusted.",
        List);

    public static int Run(ParseResult parseResult, TextWriter output, TextWriter error) => CliConfiguration.Run(parseResult, output, error, List);

    private static int List(IConfiguration configuration, PluginCatalog catalog, TextWriter output, TextWriter error)
    {
        // Only folders that passed the trust check (and their pins) have plugins to construct; shadowed ones are never used.
        catalog.ConstructAll();
        output.WriteLine("Plugin folders, searched in order (a plugin name found in an earlier folder shadows it in later ones):");
        foreach (PluginSearchPath path in catalog.SearchPaths)
        {
            string state = catalog.Searched.Contains(path.Path) ? string.Empty : "  (does not exist)";
            output.WriteLine($"  {path.Path}  [{path.Describe()}]{state}");
        }

        foreach (ConfigurationProblem warning in catalog.PathWarnings)
        {
            output.WriteLine($"warning: {warning.Path}: {warning.Message}");
        }

        output.WriteLine($"{"NAME",-16} {"KIND",-8} {"VERSION",-10} {"CONTRACT",-9} {"CAPABILITIES",-28} STATUS");
        foreach (PluginDescriptor p in catalog.Plugins)
        {
            string kind = p.Kind?.ToString().ToLowerInvariant() ?? "-";
            string capabilities = p.Kind == PluginKind.Backend && p.IsUsable ? p.Capabilities.ToString() : "-";
            string status = p.ShadowedBy is { } winner ? $"shadowed by {winner}: not loaded"
                : p.Error is not null ? $"error: {p.Error}"
                : p.UnsupportedReason is { } reason ? $"unsupported here: {reason}"
                : "ok";
            output.WriteLine($"{p.Name,-16} {kind,-8} {p.Version.ToString(3),-10} {p.ContractVersion.ToString(2),-9} {capabilities,-28} {status}");
            output.WriteLine(p.Sha256 is { } sha ? $"{string.Empty,-16} {p.Source}  sha256 {sha}" : $"{string.Empty,-16} {p.Source}");
        }

        foreach (PluginFolderError folder in catalog.FolderErrors)
        {
            output.WriteLine($"{(folder.Refused ? "refused" : "error")}: {folder.Folder}: {folder.Message}");
        }

        foreach (PluginFolderInfo folder in catalog.Folders)
        {
            if (folder.Sha256 is { } sha && !HasPlugin(catalog, folder.Folder))
            {
                output.WriteLine($"{string.Empty,-16} {folder.Folder}  sha256 {sha}");
            }
        }

        return 0;
    }

    private static bool HasPlugin(PluginCatalog catalog, string folder)
    {
        foreach (PluginDescriptor p in catalog.Plugins)
        {
            if (p.Source == folder)
            {
                return true;
            }
        }

        return false;
    }
}
