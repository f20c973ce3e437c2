using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using RouterHost.Abstractions;

namespace RouterHost.Plugins;

/// <summary>
/// The load context of one plugin folder. The plugin SDK (<c>RouterHost.Abstractions</c>) and the
/// <c>Microsoft.Extensions.*.Abstractions</c> (and <c>Microsoft.Extensions.Primitives</c>) it exposes are taken
/// from the host, so their types are the same types on both sides; every other assembly is resolved from the
/// plugin's own folder through its <c>.deps.json</c> first, so a plugin may carry a different version of a
/// library than the host uses. Native libraries are resolved from the plugin folder too.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;
    private readonly string _directory;

    public PluginLoadContext(string entryAssemblyPath)
        : base(name: $"plugin:{Path.GetFileName(Path.GetDirectoryName(entryAssemblyPath))}", isCollectible: false)
    {
        EntryAssemblyPath = entryAssemblyPath;
        _directory = Path.GetDirectoryName(entryAssemblyPath)!;
        _resolver = new AssemblyDependencyResolver(entryAssemblyPath);
    }

    /// <summary>The plugin's entry assembly.</summary>
    public string EntryAssemblyPath { get; }

    /// <summary>Whether an assembly is shared with the host rather than loaded privately.</summary>
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

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsShared(assemblyName))
        {
            // Returning null defers to the default context: the host's copy, for type identity.
            return null;
        }

        string? path = _resolver.ResolveAssemblyToPath(assemblyName);
        if (path is not null)
        {
            return LoadFromAssemblyPath(path);
        }

        // Not the plugin's own: framework assemblies and anything else come from the default context.
        return null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        if (path is null)
        {
            foreach (string candidate in NativeCandidates(unmanagedDllName))
            {
                string full = Path.Combine(_directory, candidate);
                if (File.Exists(full))
                {
                    path = full;
                    break;
                }
            }
        }

        return path is not null ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }

    private static IEnumerable<string> NativeCandidates(string name)
    {
        yield return name;
        if (OperatingSystem.IsWindows())
        {
            yield return name + ".dll";
        }
        else
        {
            string suffix = OperatingSystem.IsMacOS() ? ".dylib" : ".so";
            yield return name + suffix;
            yield return "lib" + name + suffix;
            yield return Path.Combine("runtimes", RuntimeInformation.RuntimeIdentifier, "native", "lib" + name + suffix);
        }
    }
}
