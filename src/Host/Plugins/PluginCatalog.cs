using System.Reflection;
using RouterHost.Abstractions;
using RouterHost.Linux;

namespace RouterHost.Plugins;

/// <summary>
/// Finds plugins: the host's built-in factories, then every folder under the plugins path. Discovery runs no plugin
/// code: the plugins folder and each plugin folder must first pass <see cref="PluginFolderCheck"/> (trusted files,
/// the SHA-256 pin if any); then only the entry assembly's metadata is read (names, contract version, kinds).
/// A plugin is loaded into its own <see cref="PluginLoadContext"/> and its factory constructed only when it is asked
/// for by name (<see cref="Find"/>: what configuration names) or when everything is listed
/// (<see cref="ConstructAll"/>: <c>routerhost plugins</c>). A folder that fails yields a specific error (folder,
/// cause) and never stops the others; a plugin that cannot be used is still listed, with its error, so that
/// configuration using it fails with that message and configuration not using it runs.
/// </summary>
internal sealed class PluginCatalog
{
    /// <summary>Shown as a built-in plugin's source.</summary>
    public const string BuiltInSource = "built-in";

    private readonly List<PluginDescriptor> _plugins = [];
    private readonly List<PluginFolderError> _folderErrors = [];
    private readonly List<PluginFolderInfo> _folders = [];
    private readonly Dictionary<string, LoadedAssembly> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private PluginCatalog(string pluginsPath) => PluginsPath = pluginsPath;

    /// <summary>The folder searched for plugin folders.</summary>
    public string PluginsPath { get; }

    /// <summary>Every plugin found, usable or not, constructed or not.</summary>
    public IReadOnlyList<PluginDescriptor> Plugins => _plugins;

    /// <summary>Folders that yielded nothing usable (the plugins folder itself when it is refused).</summary>
    public IReadOnlyList<PluginFolderError> FolderErrors => _folderErrors;

    /// <summary>Every folder under the plugins path, with its SHA-256 when it was trusted.</summary>
    public IReadOnlyList<PluginFolderInfo> Folders => _folders;

    /// <summary>
    /// Discovers the built-in factory types and the plugins under <paramref name="pluginsPath"/>; folders named in
    /// <paramref name="pins"/> must hash to their pin.
    /// </summary>
    public static PluginCatalog Discover(string pluginsPath, IEnumerable<Type> builtInFactories, IReadOnlyDictionary<string, string>? pins = null)
    {
        var catalog = new PluginCatalog(pluginsPath);
        foreach (Type type in builtInFactories)
        {
            catalog.AddBuiltIn(type);
        }

        if (Directory.Exists(pluginsPath))
        {
            string[] folders = Directory.GetDirectories(pluginsPath);
            Array.Sort(folders, StringComparer.Ordinal);
            if (!FileTrust.Check(pluginsPath, TrustedPathKind.PluginsFolder, out string? problem))
            {
                // Nothing below a folder others can write is looked at (any of it may be theirs); its folders are
                // listed by name only, so none goes unmentioned.
                catalog._folderErrors.Add(new PluginFolderError(pluginsPath, problem!, Refused: true));
                foreach (string folder in folders)
                {
                    catalog._folderErrors.Add(new PluginFolderError(folder, $"plugin folder '{folder}' is in the refused plugins folder '{pluginsPath}'", Refused: true));
                }
            }
            else
            {
                foreach (string folder in folders)
                {
                    catalog.DiscoverFolder(folder, pins);
                }
            }
        }

        catalog.MarkDuplicates();
        return catalog;
    }

    /// <summary>
    /// Finds a plugin of a kind by name (case-insensitive), usable or not, constructing its factory (and those of
    /// any other plugin of that name whose kind only loading can tell) if that has not happened yet.
    /// </summary>
    public PluginDescriptor? Find(string name, PluginKind kind)
    {
        lock (_lock)
        {
            foreach (PluginDescriptor d in _plugins)
            {
                if ((d.Kind is null || d.Kind == kind) && string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    Construct(d);
                }
            }

            MarkDuplicates();
            foreach (PluginDescriptor d in _plugins)
            {
                if (d.Kind == kind && string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return d;
                }
            }

            return null;
        }
    }

    /// <summary>Constructs every plugin found (only folders that passed <see cref="PluginFolderCheck"/> have any).</summary>
    public void ConstructAll()
    {
        lock (_lock)
        {
            foreach (PluginDescriptor d in _plugins)
            {
                Construct(d);
            }

            MarkDuplicates();
        }
    }

    /// <summary>The names of plugins of a kind not known to be unusable, for "known: ..." messages.</summary>
    public string KnownNames(PluginKind kind)
    {
        var names = new List<string>();
        lock (_lock)
        {
            foreach (PluginDescriptor d in _plugins)
            {
                if (d.Kind == kind && d.Error is null && !names.Contains(d.Name, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(d.Name);
                }
            }
        }

        names.Sort(StringComparer.OrdinalIgnoreCase);
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    /// <summary>
    /// Why a plugin named <paramref name="name"/> may be missing: the refusal of the plugins folder, or of a plugin
    /// folder of that name, or else of every folder refused (any of them may have held it); null when none was.
    /// </summary>
    public string? RefusalFor(string name)
    {
        var refused = new List<string>();
        foreach (PluginFolderError error in _folderErrors)
        {
            if (!error.Refused)
            {
                continue;
            }

            if (error.Folder == PluginsPath || string.Equals(Path.GetFileName(error.Folder), name, StringComparison.OrdinalIgnoreCase))
            {
                return error.Message;
            }

            refused.Add(error.Message);
        }

        return refused.Count switch
        {
            0 => null,
            1 => refused[0],
            _ => $"{refused.Count} plugin folders were refused: {string.Join("; ", refused)}",
        };
    }

    /// <summary>Whether the plugins folder itself was refused (so no folder in it was looked at).</summary>
    public bool IsPluginsFolderRefused
    {
        get
        {
            foreach (PluginFolderError error in _folderErrors)
            {
                if (error.Refused && error.Folder == PluginsPath)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private void DiscoverFolder(string folder, IReadOnlyDictionary<string, string>? pins)
    {
        if (!PluginFolderCheck.Check(folder, pins, out string? sha256, out string? refusal))
        {
            _folders.Add(new PluginFolderInfo(folder, sha256));
            _folderErrors.Add(new PluginFolderError(folder, refusal!, Refused: true));
            return;
        }

        _folders.Add(new PluginFolderInfo(folder, sha256));
        string? entry = FindEntryAssembly(folder, out string? why);
        if (entry is null)
        {
            _folderErrors.Add(new PluginFolderError(folder, why!));
            return;
        }

        string assemblyFile = Path.GetFileName(entry);
        PluginAssemblyMetadata? metadata = PluginAssemblyMetadata.TryRead(entry, out string? unreadable);
        if (metadata is null)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"entry assembly '{assemblyFile}' could not be loaded: {unreadable}"));
            return;
        }

        if (metadata.ContractVersion is not { } contractVersion)
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

        if (metadata.Types.Count == 0)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"no plugin type: '{assemblyFile}' has no public class marked [RouterHostPlugin] implementing IBackendPlugin or IStagePlugin"));
            return;
        }

        foreach (PluginTypeMetadata type in metadata.Types)
        {
            _plugins.Add(new PluginDescriptor
            {
                Name = type.Name,
                Kind = type.Kind,
                Source = folder,
                TypeName = type.FullName,
                Description = type.Description,
                Version = metadata.Version,
                ContractVersion = new Version(contractVersion.Major, contractVersion.Minor),
                EntryAssembly = entry,
                Sha256 = sha256,
            });
        }
    }

    private void AddBuiltIn(Type type)
    {
        var attribute = type.GetCustomAttribute<RouterHostPluginAttribute>()
            ?? throw new ArgumentException($"{type.FullName} is not marked [RouterHostPlugin].", nameof(type));
        var descriptor = new PluginDescriptor
        {
            Name = attribute.Name,
            Kind = null,
            Source = BuiltInSource,
            TypeName = type.FullName ?? type.Name,
            Description = attribute.Description,
            Version = type.Assembly.GetName().Version ?? new Version(0, 0),
            ContractVersion = new Version(PluginContract.Major, PluginContract.Minor),
        };
        CreateFactory(descriptor, type);
        _plugins.Add(descriptor);
    }

    /// <summary>Loads a plugin's assembly (once per folder) and constructs its factory; records why not on failure.</summary>
    private void Construct(PluginDescriptor descriptor)
    {
        if (descriptor.IsConstructed || descriptor.Error is not null || descriptor.EntryAssembly is not { } entry)
        {
            return;
        }

        descriptor.IsConstructed = true;
        if (!_loaded.TryGetValue(entry, out LoadedAssembly? loaded))
        {
            loaded = LoadedAssembly.Load(entry);
            _loaded[entry] = loaded;
        }

        if (loaded.Error is not null)
        {
            descriptor.Error = loaded.Error;
            return;
        }

        descriptor.LoadContext = loaded.Context;
        Type type;
        try
        {
            type = loaded.Assembly!.GetType(descriptor.TypeName, throwOnError: true)!;
        }
        catch (Exception ex) when (ex is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            descriptor.Error = $"its type {descriptor.TypeName} in '{Path.GetFileName(entry)}' could not be loaded: {Describe(ex)}";
            return;
        }

        CreateFactory(descriptor, type);
    }

    private static void CreateFactory(PluginDescriptor descriptor, Type type)
    {
        descriptor.IsConstructed = true;
        PluginKind? kind = typeof(IBackendPlugin).IsAssignableFrom(type) ? PluginKind.Backend
            : typeof(IStagePlugin).IsAssignableFrom(type) ? PluginKind.Stage
            : null;
        descriptor.Kind = kind ?? descriptor.Kind;

        if (kind is null)
        {
            descriptor.Error = $"{type.FullName} is marked [RouterHostPlugin] but implements neither IBackendPlugin nor IStagePlugin";
            return;
        }

        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            descriptor.Error = $"{type.FullName} must be a non-abstract class with a public parameterless constructor";
            return;
        }

        try
        {
            descriptor.Factory = Activator.CreateInstance(type);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            descriptor.Error = $"its factory {type.FullName} threw {Describe(ex.InnerException)}";
        }
        catch (Exception ex) when (ex is MissingMethodException or TypeLoadException or FileNotFoundException or FileLoadException or MemberAccessException or TypeInitializationException)
        {
            descriptor.Error = $"its factory {type.FullName} could not be created: {Describe(ex)}";
        }
    }

    private void MarkDuplicates()
    {
        for (int i = 0; i < _plugins.Count; i++)
        {
            for (int j = i + 1; j < _plugins.Count; j++)
            {
                PluginDescriptor a = _plugins[i];
                PluginDescriptor b = _plugins[j];
                if (a.Kind is { } kind && a.Kind == b.Kind && string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase))
                {
                    string message = $"two {kind.ToString().ToLowerInvariant()} plugins claim the name '{a.Name}': {a.TypeName} from {a.Source} and {b.TypeName} from {b.Source}; remove one";
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

    /// <summary>A plugin folder's entry assembly loaded into its own context, or why it could not be.</summary>
    private sealed class LoadedAssembly
    {
        private LoadedAssembly(PluginLoadContext? context, Assembly? assembly, string? error)
        {
            Context = context;
            Assembly = assembly;
            Error = error;
        }

        public PluginLoadContext? Context { get; }

        public Assembly? Assembly { get; }

        public string? Error { get; }

        public static LoadedAssembly Load(string entry)
        {
            try
            {
                var context = new PluginLoadContext(entry);
                return new LoadedAssembly(context, context.LoadFromAssemblyPath(entry), null);
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or IOException)
            {
                return new LoadedAssembly(null, null, $"entry assembly '{Path.GetFileName(entry)}' could not be loaded: {ex.Message}");
            }
        }
    }
}

/// <summary>A folder under the plugins path.</summary>
/// <param name="Folder">Its full path.</param>
/// <param name="Sha256">The SHA-256 of its files (<see cref="PluginFolderHash"/>); null when it is not trusted.</param>
internal sealed record PluginFolderInfo(string Folder, string? Sha256);
