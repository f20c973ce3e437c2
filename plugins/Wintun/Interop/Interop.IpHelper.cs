// C function names are kept verbatim (house rule for native interop).
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun;

internal static unsafe partial class Interop
{
    /// <summary>
    /// iphlpapi.dll (netioapi.h): the calls that give an interface, keyed by its NET_LUID, its addresses, routes and
    /// MTU. Each returns a NETIO_STATUS (a Win32 error code, NO_ERROR on success); the <c>Initialize*</c> functions
    /// fill a row with the defaults the corresponding <c>Create</c>/<c>Set</c> expects.
    /// </summary>
    internal static partial class IpHelper
    {
        [LibraryImport(Libraries.IpHelper)]
        public static partial void InitializeUnicastIpAddressEntry(MIB_UNICASTIPADDRESS_ROW* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial uint CreateUnicastIpAddressEntry(MIB_UNICASTIPADDRESS_ROW* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial uint DeleteUnicastIpAddressEntry(MIB_UNICASTIPADDRESS_ROW* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial void InitializeIpForwardEntry(MIB_IPFORWARD_ROW2* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial uint CreateIpForwardEntry2(MIB_IPFORWARD_ROW2* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial uint DeleteIpForwardEntry2(MIB_IPFORWARD_ROW2* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial void InitializeIpInterfaceEntry(MIB_IPINTERFACE_ROW* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial uint GetIpInterfaceEntry(MIB_IPINTERFACE_ROW* Row);

        [LibraryImport(Libraries.IpHelper)]
        public static partial uint SetIpInterfaceEntry(MIB_IPINTERFACE_ROW* Row);
    }
}
