namespace RouterHost.Plugins.Wintun;

internal static partial class Interop
{
    /// <summary>
    /// The library names every <c>LibraryImport</c> in this assembly uses. <see cref="Wintun"/> is resolved by
    /// <see cref="Internal.WintunLibrary"/> (the plugin's own folder first, then the system's safe DLL directories);
    /// <see cref="IpHelper"/> is a system DLL and loads the usual way.
    /// </summary>
    internal static class Libraries
    {
        /// <summary>wintun.dll, the WireGuard project's signed user-mode library for the Wintun driver.</summary>
        internal const string Wintun = "wintun";

        /// <summary>iphlpapi.dll, the IP Helper API.</summary>
        internal const string IpHelper = "iphlpapi.dll";
    }
}
