using System.Reflection;
using System.Runtime.Loader;
using McMaster.NETCore.Plugins;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Linux;

namespace RouterHost.Plugins;

/// <summary>
/// Finds plugins: the host's built-in factories, then every plugin folder in the folders of plugin folders, searched in
/// order (<see cref="PluginSearchPath"/>: the configured ones, the drop-in folder, the package's). Discovery runs no
/// plugin code: each folder of plugin folders and each plugin folder must first pass <see cref="PluginFolderCheck"/>
/// (trusted files, the SHA-256 pin if any); then only the entry assembly's metadata is read (names, contract version,
/// kinds), and a plugin built against another contract major, or a newer minor, is refused there. A plugin is loaded
/// (McMaster.NETCore.Plugins, one load context per plugin folder: <see cref="PluginLoading"/>) and its factory
/// constructed only when it is asked for by name (<see cref="Find"/>: what configuration names) or when everything is
/// listed (<see cref="ConstructAll"/>: <c>routerhost plugins</c>). A plugin name found in an earlier folder shadows
/// the same name in a later one: the later one is listed as shadowed and never loaded. A folder that fails yields a
/// specific error (folder, cause) and never stops the others; a plugin that cannot be used is still listed, with its
/// error, so that configuration using it fails with that message and configuration not using it runs.
/// </summary>
internal sealed class PluginCatalog
{
    /// <summary>Shown as a built-in plugin's source.</summary>
    public const string BuiltInSource = "built-in";

    private readonly List<PluginDescriptor> _plugins = [];
    private readonly List<PluginFolderError> _folderErrors = [];
    private readonly List<PluginFolderInfo> _folders = [];
    private readonly List<ConfigurationProblem> _pathWarnings = [];
    private readonly List<string> _searched = [];
    private readonly HashSet<string> _refusedRoots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LoadedAssembly> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private PluginCatalog(IReadOnlyList<PluginSearchPath> searchPaths) => SearchPaths = searchPaths;

    /// <summary>The folders of plugin folders, in search order (those that do not exist too).</summary>
    public IReadOnlyList<PluginSearchPath> SearchPaths { get; }

    /// <summary>The folders of plugin folders that exist and were searched (refused ones too), in order.</summary>
    public IReadOnlyList<string> Searched => _searched;

    /// <summary>The searched folders as one text for messages: "/a, /b", or "no plugins folder exists".</summary>
    public string SearchedText => _searched.Count == 0
        ? $"no plugins folder exists ({string.Join(", ", SearchPaths.Select(p => p.Path))})"
        : string.Join(", ", _searched);

    /// <summary>Every plugin found, usable or not, constructed or not, shadowed or not.</summary>
    public IReadOnlyList<PluginDescriptor> Plugins => _plugins;

    /// <summary>Folders that yielded nothing usable (a folder of plugin folders too, when it is refused).</summary>
    public IReadOnlyList<PluginFolderError> FolderErrors => _folderErrors;

    /// <summary>Every plugin folder found, with its SHA-256 when it was trusted.</summary>
    public IReadOnlyList<PluginFolderInfo> Folders => _folders;

    /// <summary>Configured folders of plugin folders that could not be searched (they do not exist), at their key paths.</summary>
    public IReadOnlyList<ConfigurationProblem> PathWarnings => _pathWarnings;

    /// <summary>
    /// Discovers the built-in factory types and the plugins in one folder of plugin folders,
    /// <paramref name="pluginsPath"/> (as if configured); folders named in <paramref name="pins"/> must hash to their pin.
    /// </summary>
    public static PluginCatalog Discover(string pluginsPath, IEnumerable<Type> builtInFactories, IReadOnlyDictionary<string, string>? pins = null) =>
        Discover([new PluginSearchPath(Path.GetFullPath(pluginsPath), PluginPathOrigin.Configured)], builtInFactories, pins);

    /// <summary>
    /// Discovers the built-in factory types and the plugins in <paramref name="searchPaths"/>, in order; plugin folders
    /// named in <paramref name="pins"/> (by folder name, in whichever folder) must hash to their pin.
    /// </summary>
    public static PluginCatalog Discover(IReadOnlyList<PluginSearchPath> searchPaths, IEnumerable<Type> builtInFactories, IReadOnlyDictionary<string, string>? pins = null)
    {
        var catalog = new PluginCatalog(searchPaths);
        foreach (Type type in builtInFactories)
        {
            catalog.AddBuiltIn(type);
        }

        foreach (PluginSearchPath searchPath in searchPaths)
        {
            catalog.DiscoverSearchPath(searchPath, pins);
        }

        catalog.MarkDuplicates();
        return catalog;
    }

    private void DiscoverSearchPath(PluginSearchPath searchPath, IReadOnlyDictionary<string, string>? pins)
    {
        string root = searchPath.Path;
        if (!Directory.Exists(root))
        {
            // The standard folders are optional; a configured one that is missing is a mistake worth saying.
            if (searchPath.Origin == PluginPathOrigin.Configured)
            {
                string what = File.Exists(root) ? "is a file, not a folder" : "does not exist";
                _pathWarnings.Add(new(searchPath.KeyPath ?? ConfigurationKeys.PluginsPath,
                    $"the plugins folder '{root}' {what}, so no plugin is loaded from it; create it (owned by root, not writable by others) or correct the path"));
            }

            return;
        }

        _searched.Add(root);
        string[] folders = Directory.GetDirectories(root);
        Array.Sort(folders, StringComparer.Ordinal);
        if (!FileTrust.Check(root, TrustedPathKind.PluginsFolder, out string? problem))
        {
            // Nothing below a folder others can write is looked at (any of it may be theirs); its folders are
            // listed by name only, so none goes unmentioned.
            _refusedRoots.Add(root);
            _folderErrors.Add(new PluginFolderError(root, problem!, Refused: true));
            foreach (string folder in folders)
            {
                _folders.Add(new PluginFolderInfo(folder, null));
                _folderErrors.Add(new PluginFolderError(folder, $"plugin folder '{folder}' is in the refused plugins folder '{root}'", Refused: true));
            }

            return;
        }

        foreach (string folder in folders)
        {
            DiscoverFolder(searchPath, folder, pins);
        }
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
                if ((d.Kind is null || d.Kind == kind) && d.ShadowedBy is null && string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    Construct(d);
                }
            }

            MarkDuplicates();
            foreach (PluginDescriptor d in _plugins)
            {
                if (d.Kind == kind && d.ShadowedBy is null && string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    return d;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Constructs every plugin found but the shadowed ones, which are never used (only folders that passed
    /// <see cref="PluginFolderCheck"/> have any).
    /// </summary>
    public void ConstructAll()
    {
        lock (_lock)
        {
            foreach (PluginDescriptor d in _plugins)
            {
                if (d.ShadowedBy is null)
                {
                    Construct(d);
                }
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
                if (d.Kind == kind && d.Error is null && d.ShadowedBy is null && !names.Contains(d.Name, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(d.Name);
                }
            }
        }

        names.Sort(StringComparer.OrdinalIgnoreCase);
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    /// <summary>
    /// Why a plugin named <paramref name="name"/> may be missing: the refusal of a plugin folder of that name, or else
    /// of every folder refused (any of them may have held it: a refused folder of plugin folders is one); null when
    /// none was.
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

            if (_refusedRoots.Contains(error.Folder))
            {
                refused.Add(error.Message);
                continue;
            }

            string parent = Path.GetDirectoryName(error.Folder) ?? string.Empty;
            bool named = string.Equals(Path.GetFileName(error.Folder), name, StringComparison.OrdinalIgnoreCase);
            if (_refusedRoots.Contains(parent))
            {
                // Its folder's refusal says why (and how to fix it); a folder of that name makes it the answer.
                if (named)
                {
                    return FolderErrorOf(parent);
                }

                continue;
            }

            if (named)
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

    private string FolderErrorOf(string folder)
    {
        foreach (PluginFolderError error in _folderErrors)
        {
            if (error.Folder == folder)
            {
                return error.Message;
            }
        }

        return string.Empty;
    }

    private void DiscoverFolder(PluginSearchPath searchPath, string folder, IReadOnlyDictionary<string, string>? pins)
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

        string? runtimeConfigProblem;
        try
        {
            runtimeConfigProblem = PluginRuntimeConfig.Problem(entry);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            runtimeConfigProblem = $"its runtime config cannot be read: {ex.Message}";
        }

        if (runtimeConfigProblem is not null)
        {
            _folderErrors.Add(new PluginFolderError(folder, $"plugin folder '{folder}' is refused: {runtimeConfigProblem}", Refused: true));
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

        if (contractVersion.Minor > PluginContract.Minor)
        {
            // Checked before loading: the plugin's reference to the newer SDK cannot bind to the host's, and the types
            // and members it added are not here.
            _folderErrors.Add(new PluginFolderError(
                folder,
                $"'{assemblyFile}' was built against plugin contract {contractVersion.Major}.{contractVersion.Minor}, newer than this host's contract {PluginContract.Major}.{PluginContract.Minor}; "
                + $"update RouterHost to one with contract {contractVersion.Major}.{contractVersion.Minor} or later, or use a build of the plugin against contract {PluginContract.Major}.{PluginContract.Minor} or older"));
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
                SearchPath = searchPath,
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

    /// <summary>
    /// Plugins of one kind claiming one name: from different folders of plugin folders, the earlier folder's wins and
    /// the later ones are shadowed (never loaded); within one folder, or against a built-in, both are refused.
    /// </summary>
    private void MarkDuplicates()
    {
        for (int i = 0; i < _plugins.Count; i++)
        {
            for (int j = i + 1; j < _plugins.Count; j++)
            {
                PluginDescriptor a = _plugins[i];
                PluginDescriptor b = _plugins[j];
                if (a.Kind is not { } kind || a.Kind != b.Kind || !string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase)
                    || a.ShadowedBy is not null || b.ShadowedBy is not null)
                {
                    continue;
                }

                if (a.SearchPath is not null && b.SearchPath is not null && a.SearchPath != b.SearchPath)
                {
                    // Discovery adds plugins in search order, so a's folder is searched first.
                    b.ShadowedBy = a.Source;
                    continue;
                }

                string message = $"two {kind.ToString().ToLowerInvariant()} plugins claim the name '{a.Name}': {a.TypeName} from {a.Source} and {b.TypeName} from {b.Source}; remove one";
                a.Error ??= message;
                b.Error ??= message;
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
        private LoadedAssembly(AssemblyLoadContext? context, Assembly? assembly, string? error)
        {
            Context = context;
            Assembly = assembly;
            Error = error;
        }

        public AssemblyLoadContext? Context { get; }

        public Assembly? Assembly { get; }

        public string? Error { get; }

        public static LoadedAssembly Load(string entry)
        {
            try
            {
                // The loader lives as long as the process: plugins are never unloaded.
                PluginLoader loader = PluginLoading.CreateLoader(entry);
                return new LoadedAssembly(loader.LoadContext, loader.LoadDefaultAssembly(), null);
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or IOException)
            {
                return new LoadedAssembly(null, null, $"entry assembly '{Path.GetFileName(entry)}' could not be loaded: {ex.Message}");
            }
        }
    }
}

/// <summary>A plugin folder, in one of the folders of plugin folders.</summary>
/// <param name="Folder">Its full path.</param>
/// <param name="Sha256">The SHA-256 of its files (<see cref="PluginFolderHash"/>); null when it is not trusted.</param>
internal sealed record PluginFolderInfo(string Folder, string? Sha256);
