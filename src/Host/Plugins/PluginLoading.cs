using System.Reflection;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using RouterHost.Abstractions;

namespace RouterHost.Plugins;

/// <summary>
/// How a plugin folder's entry assembly is loaded: by McMaster.NETCore.Plugins, into a load context of its own. The
/// plugin SDK (<c>RouterHost.Abstractions</c>) and the <c>Microsoft.Extensions.*.Abstractions</c> and
/// <c>Microsoft.Extensions.Primitives</c> assemblies the host has are shared with the host, so their types are the
/// same types on both sides; every other assembly the plugin references is resolved from its own folder through its
/// <c>.deps.json</c> first (so a plugin may carry another version of a library the host uses), and so are its native
/// libraries (<c>runtimes/&lt;rid&gt;/native</c> too). Only call this for a folder that passed
/// <see cref="PluginFolderCheck"/> and whose contract version was checked: loading runs the plugin's code.
/// </summary>
internal static class PluginLoading
{
    /// <summary>Types whose assemblies are shared: the SDK and the abstractions its contracts expose.</summary>
    private static readonly Type[] s_sharedTypes = [typeof(IBackendPlugin), typeof(IConfiguration), typeof(ILogger), typeof(StringValues)];

    /// <summary>Whether an assembly is shared with the host rather than loaded from the plugin's folder.</summary>
    public static bool IsShared(AssemblyName name)
    {
        string? simple = name.Name;
        if (simple is null)
        {
            return false;
        }

        return simple == PluginContract.AssemblyName
            || simple == "Microsoft.Extensions.Primitives"
            || (simple.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) && simple.EndsWith(".Abstractions", StringComparison.Ordinal));
    }

    /// <summary>
    /// The host's assemblies a plugin shares: those of <see cref="s_sharedTypes"/> and every other assembly of the
    /// application <see cref="IsShared"/> names (from the host's trusted platform assemblies).
    /// </summary>
    public static IReadOnlyList<AssemblyName> SharedAssemblies { get; } = FindSharedAssemblies();

    /// <summary>A loader for the plugin whose entry assembly is <paramref name="entryAssembly"/> (an absolute path).</summary>
    public static PluginLoader CreateLoader(string entryAssembly) =>
        PluginLoader.CreateFromAssemblyFile(entryAssembly, sharedTypes: s_sharedTypes, configure: config =>
        {
            // Only what is listed is shared; everything else prefers the plugin's own copy.
            config.PreferSharedTypes = false;
            config.IsUnloadable = false;
            config.LoadInMemory = false;
            foreach (AssemblyName name in SharedAssemblies)
            {
                if (!config.SharedAssemblies.Any(n => n.Name == name.Name))
                {
                    config.SharedAssemblies.Add(name);
                }
            }
        });

    private static List<AssemblyName> FindSharedAssemblies()
    {
        var names = new List<AssemblyName>();
        foreach (Type type in s_sharedTypes)
        {
            names.Add(type.Assembly.GetName());
        }

        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is string list)
        {
            foreach (string path in list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var name = new AssemblyName(Path.GetFileNameWithoutExtension(path));
                if (IsShared(name) && !names.Any(n => n.Name == name.Name))
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }
}
