// C function, type and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CA1707
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun;

internal static unsafe partial class Interop
{
    /// <summary>
    /// wintun.dll, as declared by wintun.h of Wintun 0.14 (github.com/WireGuard/wintun, api/wintun.h): the adapter
    /// and session functions, names, argument order and constants verbatim. Handles are opaque pointers
    /// (<c>WINTUN_ADAPTER_HANDLE</c>, <c>WINTUN_SESSION_HANDLE</c>); functions that fail return NULL (or 0) and set the
    /// thread's last error. All are <c>WINAPI</c> (stdcall on x86, the platform convention elsewhere).
    /// </summary>
    internal static partial class Wintun
    {
        /// <summary>Minimum ring capacity (128 KiB); a session's capacity is a power of two in [min, max].</summary>
        public const int WINTUN_MIN_RING_CAPACITY = 0x20000;

        /// <summary>Maximum ring capacity (64 MiB).</summary>
        public const int WINTUN_MAX_RING_CAPACITY = 0x4000000;

        /// <summary>The largest IP packet a ring carries.</summary>
        public const int WINTUN_MAX_IP_PACKET_SIZE = 0xFFFF;

        /// <summary>MAX_ADAPTER_NAME (ipexport.h): adapter names and tunnel types are at most this many WCHARs with the terminator.</summary>
        public const int MAX_ADAPTER_NAME = 128;

        /// <summary>WINTUN_LOGGER_LEVEL.</summary>
        public enum WINTUN_LOGGER_LEVEL
        {
            WINTUN_LOG_INFO = 0,
            WINTUN_LOG_WARN = 1,
            WINTUN_LOG_ERR = 2,
        }

        /// <summary><c>WINTUN_ADAPTER_HANDLE WintunCreateAdapter(LPCWSTR Name, LPCWSTR TunnelType, const GUID *RequestedGUID)</c>.</summary>
        [LibraryImport(Libraries.Wintun, SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
        public static partial nint WintunCreateAdapter(string Name, string TunnelType, Guid* RequestedGUID);

        /// <summary><c>WINTUN_ADAPTER_HANDLE WintunOpenAdapter(LPCWSTR Name)</c>.</summary>
        [LibraryImport(Libraries.Wintun, SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
        public static partial nint WintunOpenAdapter(string Name);

        /// <summary><c>VOID WintunCloseAdapter(WINTUN_ADAPTER_HANDLE Adapter)</c>: removes the adapter if this process created it.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial void WintunCloseAdapter(nint Adapter);

        /// <summary><c>VOID WintunGetAdapterLUID(WINTUN_ADAPTER_HANDLE Adapter, NET_LUID *Luid)</c>.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial void WintunGetAdapterLUID(nint Adapter, IpHelper.NET_LUID* Luid);

        /// <summary><c>DWORD WintunGetRunningDriverVersion(VOID)</c>: 0 on failure (ERROR_FILE_NOT_FOUND: the driver is not loaded).</summary>
        [LibraryImport(Libraries.Wintun, SetLastError = true)]
        public static partial uint WintunGetRunningDriverVersion();

        /// <summary><c>VOID WintunSetLogger(WINTUN_LOGGER_CALLBACK NewLogger)</c>; the callback is <c>VOID CALLBACK (Level, DWORD64 Timestamp, LPCWSTR Message)</c>.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial void WintunSetLogger(delegate* unmanaged[Stdcall]<WINTUN_LOGGER_LEVEL, ulong, char*, void> NewLogger);

        /// <summary><c>WINTUN_SESSION_HANDLE WintunStartSession(WINTUN_ADAPTER_HANDLE Adapter, DWORD Capacity)</c>.</summary>
        [LibraryImport(Libraries.Wintun, SetLastError = true)]
        public static partial nint WintunStartSession(nint Adapter, uint Capacity);

        /// <summary><c>VOID WintunEndSession(WINTUN_SESSION_HANDLE Session)</c>.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial void WintunEndSession(nint Session);

        /// <summary><c>HANDLE WintunGetReadWaitEvent(WINTUN_SESSION_HANDLE Session)</c>: owned by the session, never closed by us.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial nint WintunGetReadWaitEvent(nint Session);

        /// <summary>
        /// <c>BYTE *WintunReceivePacket(WINTUN_SESSION_HANDLE Session, DWORD *PacketSize)</c>: NULL with ERROR_NO_MORE_ITEMS
        /// (empty), ERROR_HANDLE_EOF (adapter terminating) or ERROR_INVALID_DATA (ring corrupt).
        /// </summary>
        [LibraryImport(Libraries.Wintun, SetLastError = true)]
        public static partial byte* WintunReceivePacket(nint Session, uint* PacketSize);

        /// <summary><c>VOID WintunReleaseReceivePacket(WINTUN_SESSION_HANDLE Session, const BYTE *Packet)</c>.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial void WintunReleaseReceivePacket(nint Session, byte* Packet);

        /// <summary>
        /// <c>BYTE *WintunAllocateSendPacket(WINTUN_SESSION_HANDLE Session, DWORD PacketSize)</c>: NULL with
        /// ERROR_BUFFER_OVERFLOW (ring full) or ERROR_HANDLE_EOF (adapter terminating).
        /// </summary>
        [LibraryImport(Libraries.Wintun, SetLastError = true)]
        public static partial byte* WintunAllocateSendPacket(nint Session, uint PacketSize);

        /// <summary><c>VOID WintunSendPacket(WINTUN_SESSION_HANDLE Session, const BYTE *Packet)</c>.</summary>
        [LibraryImport(Libraries.Wintun)]
        public static partial void WintunSendPacket(nint Session, byte* Packet);
    }
}
