using System.Net.Sockets;
using System.Runtime.InteropServices;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux;

/// <summary>Who is at the other end of a connected Unix stream socket (<c>SO_PEERCRED</c>, unix(7)).</summary>
public static class PeerCredentials
{
    /// <summary>
    /// The effective user id of the process that connected <paramref name="socket"/>, as the kernel recorded it at
    /// <c>connect</c>; false with <paramref name="error"/> (the errno) when the kernel cannot say (not a Unix socket).
    /// </summary>
    public static bool TryGetUid(Socket socket, out uint uid, out string? error)
    {
        ArgumentNullException.ThrowIfNull(socket);
        uid = uint.MaxValue;
        Span<byte> buffer = stackalloc byte[Marshal.SizeOf<ucred>()];
        try
        {
            int length = socket.GetRawSocketOption(SOL_SOCKET, SO_PEERCRED, buffer);
            if (length < Marshal.SizeOf<ucred>())
            {
                error = $"getsockopt(SO_PEERCRED) returned {length} bytes, expected {Marshal.SizeOf<ucred>()}";
                return false;
            }
        }
        catch (SocketException ex)
        {
            error = $"getsockopt(SO_PEERCRED) failed: {Errno.Describe(ex.ErrorCode)}";
            return false;
        }

        uid = MemoryMarshal.Read<ucred>(buffer).uid;
        error = null;
        return true;
    }
}
