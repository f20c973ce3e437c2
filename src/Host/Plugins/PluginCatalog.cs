using System.Reflection;
using RouterHost.Abstractions;

namespace RouterHost.Plugins;

/// <summary>
/// Finds plugins: the host's built-in factories, then every folder under the plugins path, each loaded into
/// its own <see cref="PluginLoadContext"/>. A folder that fails yields a specific error (folder, cause) and
/// never stops the others; a plugin that cannot be used is still listed, with its error, so that
/// configuration using it fails with that message and configuration not using it runs.
/// </summary>
internal sealed class PluginCatalog
{
    /// <summary>Shown as a built-in plugin's source.</summary>
    public const string BuiltInSource = "built-in";

    private readonly List<PluginDescriptor> _plugins = [];
    private readonly List<PluginFolderError> _folderErrors = [];

    private PluginCatalog(string pluginsPath) => PluginsPath = pluginsPath;

    /// <summary>The folder searched for plugin folders.</summary>
    public string PluginsPath { get; }

    /// <summary>Every plugin found, usable or not.</summary>
    public IReadOnlyList<PluginDescriptor> Plugins => _plugins;

    /// <summary>Folders that yielded nothing usable.</summary>
    public IReadOnlyList<PluginFolderError> FolderErrors => _folderErrors;

    /// <summary>Discovers the built-in factory types and the plugins under <paramref name="pluginsPath"/>.</summary>
    public static PluginCatalog Discover(string pluginsPath, IEnumerable<Type> builtInFactories)
    {
        var catalog = new PluginCatalog(pluginsPath);
        foreach (Type type in builtInFactories)
        {
            catalog.AddFactoryType(type, BuiltInSource, null, type.Assembly.GetName().Version ?? new Version(0, 0), new Version(PluginContract.Major, PluginContract.Minor));
        }

        if (Directory.Exists(pluginsPath))
        {
            string[] folders = Directory.GetDirectories(pluginsPath);
            Array.Sort(folders, StringComparer.Ordinal);
            foreach (string folder in folders)
            {
                catalog.LoadFolder(folder);
            }
        }

        catalog.MarkDuplicates();
        return catalog;
    }

    /// <summary>Finds a plugin of a kind by name (case-insensitive), usable or not.</summary>
    public PluginDescriptor? Find(string name, PluginKind kind)
    {
        foreach (PluginDescriptor d in _plugins)
        {
            if (d.Kind == kind && string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return d;
            }
        }

        return null;
    }

    /// <summary>The names of usable plugins of a kind, for "known: ..." messages.</summary>
    public string KnownNames(PluginKind kind)
    {
        var names = new List<string>();
        foreach (PluginDescriptor d in _plugins)
        {
            if (d.Kind == kind && d.IsUsable && !names.Contains(d.Name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(d.Name);
            }
        }

        names.Sort(StringComparer.OrdinalIgnoreCase);
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    private void LoadFolder(string folder)
    {
        string? entry = FindEntryAssembly(folder, out string? why);
        if (entry is null)
        {
            _folderErrors.Add(new PluginFolderError(folder, why!));
            return;
        }

        PluginLoadContext context;
        Assembly assembly;
        try
        {
            context = new PluginLoadContext(entry);
            assembly = context.LoadFromAssemblyPath(entry);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or IOException)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"entry assembly '{Path.GetFileName(entry)}' could not be loaded: {ex.Message}"));
            return;
        }

        AssemblyName? contractRef = null;
        foreach (AssemblyName reference in assembly.GetReferencedAssemblies())
        {
            if (reference.Name == PluginContract.AssemblyName)
            {
                contractRef = reference;
                break;
            }
        }

        string assemblyFile = Path.GetFileName(entry);
        if (contractRef?.Version is not { } contractVersion)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"no plugin type: '{assemblyFile}' does not reference {PluginContract.AssemblyName}, so it cannot implement IBackendPlugin or IStagePlugin"));
            return;
        }

        if (contractVersion.Major != PluginContract.Major)
        {
            string relation = contractVersion.Major > PluginContract.Major ? "newer than" : "older than";
            _folderErrors.Add(new PluginFolderError(
                folder,
                $"'{assemblyFile}' was built against plugin contract {contractVersion.Major}.{contractVersion.Minor}, {relation} this host's contract {PluginContract.Major}.{PluginContract.Minor}; "
                + $"use a plugin built against contract {PluginContract.Major}.x or a RouterHost that supports contract {contractVersion.Major}"));
            return;
        }

        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception ex) when (ex is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"the types of '{assemblyFile}' could not be loaded: {Describe(ex)}"));
            return;
        }

        Version pluginVersion = assembly.GetName().Version ?? new Version(0, 0);
        int found = 0;
        foreach (Type type in types)
        {
            if (type.GetCustomAttribute<RouterHostPluginAttribute>() is not null)
            {
                AddFactoryType(type, folder, context, pluginVersion, new Version(contractVersion.Major, contractVersion.Minor));
                found++;
            }
        }

        if (found == 0)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"no plugin type: '{assemblyFile}' has no public class marked [RouterHostPlugin] implementing IBackendPlugin or IStagePlugin"));
        }
    }

    private void AddFactoryType(Type type, string source, PluginLoadContext? context, Version version, Version contractVersion)
    {
        var attribute = type.GetCustomAttribute<RouterHostPluginAttribute>()
            ?? throw new ArgumentException($"{type.FullName} is not marked [RouterHostPlugin].", nameof(type));
        PluginKind? kind = typeof(IBackendPlugin).IsAssignableFrom(type) ? PluginKind.Backend
            : typeof(IStagePlugin).IsAssignableFrom(type) ? PluginKind.Stage
            : null;

        string? error = null;
        object? factory = null;
        if (kind is null)
        {
            error = $"{type.FullName} is marked [RouterHostPlugin] but implements neither IBackendPlugin nor IStagePlugin";
        }
        else if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            error = $"{type.FullName} must be a non-abstract class with a public parameterless constructor";
        }
        else
        {
            try
            {
                factory = Activator.CreateInstance(type);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                error = $"its factory {type.FullName} threw {Describe(ex.InnerException)}";
            }
            catch (Exception ex) when (ex is MissingMethodException or TypeLoadException or FileNotFoundException or FileLoadException or MemberAccessException)
            {
                error = $"its factory {type.FullName} could not be created: {Describe(ex)}";
            }
        }

        _plugins.Add(new PluginDescriptor
        {
            Name = attribute.Name,
            Kind = kind ?? PluginKind.Backend,
            Source = source,
            TypeName = type.FullName ?? type.Name,
            Description = attribute.Description,
            Version = version,
            ContractVersion = contractVersion,
            Factory = error is null ? factory : null,
            Error = error,
            LoadContext = context,
        });
    }

    private void MarkDuplicates()
    {
        for (int i = 0; i < _plugins.Count; i++)
        {
            for (int j = i + 1; j < _plugins.Count; j++)
            {
                PluginDescriptor a = _plugins[i];
                PluginDescriptor b = _plugins[j];
                if (a.Kind == b.Kind && string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase))
                {
                    string message = $"two {a.Kind.ToString().ToLowerInvariant()} plugins claim the name '{a.Name}': {a.TypeName} from {a.Source} and {b.TypeName} from {b.Source}; remove one";
                    a.Error ??= message;
                    b.Error ??= message;
                }
            }
        }
    }

    private static string? FindEntryAssembly(string folder, out string? why)
    {
        string folderName = Path.GetFileName(folder);
        string byName = Path.Combine(folder, folderName + ".dll");
        if (File.Exists(byName))
        {
            why = null;
            return byName;
        }

        string[] deps = Directory.GetFiles(folder, "*.deps.json");
        if (deps.Length == 1)
        {
            string name = Path.GetFileName(deps[0])[..^".deps.json".Length];
            string candidate = Path.Combine(folder, name + ".dll");
            if (File.Exists(candidate))
            {
                why = null;
                return candidate;
            }

            why = $"no entry assembly: '{Path.GetFileName(deps[0])}' names '{name}.dll', which is not in the folder";
            return null;
        }

        why = deps.Length == 0
            ? $"no entry assembly: expected '{folderName}.dll' or a single *.deps.json naming the plugin's assembly"
            : $"no entry assembly: expected '{folderName}.dll'; the folder has {deps.Length} *.deps.json files, so which assembly is the plugin is ambiguous";
        return null;
    }

    private static string Describe(Exception ex) => ex switch
    {
        ReflectionTypeLoadException rtl when rtl.LoaderExceptions.Length > 0 && rtl.LoaderExceptions[0] is { } first
            => $"{first.GetType().Name}: {first.Message}",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
