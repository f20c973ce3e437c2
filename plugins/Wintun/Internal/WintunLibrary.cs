using System.Reflection;
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// Finds and loads wintun.dll: first the plugin's own folder (where docs/plugins/wintun.md says to put it), then the
/// system's safe DLL directories (the application directory and System32 — never the current directory or PATH, so
/// a router running as an administrator cannot be made to load a library planted in a writable folder). The
/// library must be Wintun 0.14 or newer: older versions export functions of the same names with other signatures,
/// so every function this plugin binds is looked up before the library is used.
/// </summary>
internal static class WintunLibrary
{
    /// <summary>The file name of the library, as the Wintun zip ships it.</summary>
    public const string FileName = "wintun.dll";

    /// <summary>Every export the plugin calls: present only in Wintun 0.14 and newer as a set.</summary>
    internal static readonly string[] RequiredExports =
    [
        "WintunCreateAdapter", "WintunOpenAdapter", "WintunCloseAdapter", "WintunGetAdapterLUID",
        "WintunGetRunningDriverVersion", "WintunSetLogger", "WintunStartSession", "WintunEndSession",
        "WintunGetReadWaitEvent", "WintunReceivePacket", "WintunReleaseReceivePacket",
        "WintunAllocateSendPacket", "WintunSendPacket",
    ];

    private static readonly Lazy<(nint Handle, string? Problem)> s_library = new(Load);

    static WintunLibrary()
    {
        // Runs once, before the first Wintun call: WintunNativeApi reads Handle first.
        NativeLibrary.SetDllImportResolver(typeof(WintunLibrary).Assembly, Resolve);
    }

    /// <summary>The folder this plugin's assembly was loaded from.</summary>
    public static string PluginDirectory { get; } = Path.GetDirectoryName(typeof(WintunLibrary).Assembly.Location) is { Length: > 0 } d ? d : AppContext.BaseDirectory;

    /// <summary>Null when wintun.dll is loaded and usable here; otherwise why not, with what to do about it.</summary>
    public static string? UnsupportedReason => OperatingSystem.IsWindows()
        ? s_library.Value.Problem
        : OperatingSystem.IsLinux()
            ? $"the Wintun backend needs Windows (the Wintun driver and {FileName}); on Linux use the LinuxTun backend"
            : $"the Wintun backend needs Windows (the Wintun driver and {FileName})";

    /// <summary>The loaded library (zero when it could not be loaded).</summary>
    public static nint Handle => s_library.Value.Handle;

    /// <summary>Where the library is looked for, in order: the plugin folder's copy, then the bare name for the system's safe directories.</summary>
    public static IReadOnlyList<string> SearchOrder(string pluginDirectory) => [Path.Combine(pluginDirectory, FileName), FileName];

    /// <summary>The folder of the Wintun zip (<c>wintun/bin/&lt;arch&gt;/</c>) that matches this process.</summary>
    public static string ZipFolder(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "x86",
        Architecture.Arm => "arm",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == Interop.Libraries.Wintun ? s_library.Value.Handle : 0;

    private static (nint, string?) Load()
    {
        string folder = $"wintun/bin/{ZipFolder(RuntimeInformation.ProcessArchitecture)}";
        IReadOnlyList<string> order = SearchOrder(PluginDirectory);
        nint handle;
        string where;
        if (File.Exists(order[0]))
        {
            where = order[0];
            if (!NativeLibrary.TryLoad(where, out handle))
            {
                return (0, $"{where} could not be loaded: it must be the {RuntimeInformation.ProcessArchitecture} build ({folder}/{FileName} in the Wintun zip from https://www.wintun.net/)");
            }
        }
        else if (NativeLibrary.TryLoad(order[1], typeof(WintunLibrary).Assembly, DllImportSearchPath.SafeDirectories, out handle))
        {
            where = $"{FileName} from the system directories";
        }
        else
        {
            return (0, $"{FileName} was found neither beside the plugin ({PluginDirectory}) nor in the system directories; download Wintun from https://www.wintun.net/ and copy {folder}/{FileName} into {PluginDirectory} (see docs/plugins/wintun.md)");
        }

        foreach (string export in RequiredExports)
        {
            if (!NativeLibrary.TryGetExport(handle, export, out _))
            {
                NativeLibrary.Free(handle);
                return (0, $"{where} is not Wintun 0.14 or newer (it has no {export}); install the current release from https://www.wintun.net/");
            }
        }

        return (handle, null);
    }
}
