using System.Runtime.InteropServices;

namespace Microsoft.Win32.SafeHandles;

/// <summary>
/// Owns one block from libsodium's <c>sodium_malloc</c>: its own pages, locked out of swap where the limit allows,
/// with inaccessible guard pages before and after and a canary; released with <c>sodium_free</c>, which checks the
/// canary, wipes the block and unmaps it.
/// </summary>
internal sealed class SafeSodiumSecureMemoryHandle : SafeHandle
{
    public SafeSodiumSecureMemoryHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <summary>Bytes usable at <see cref="SafeHandle.DangerousGetHandle"/>.</summary>
    internal int Length { get; private set; }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>A zeroed block of <paramref name="length"/> bytes, or null when libsodium cannot allocate one.</summary>
    internal static unsafe SafeSodiumSecureMemoryHandle? Allocate(int length)
    {
        SafeSodiumSecureMemoryHandle result = new();
        IntPtr block = Interop.Sodium.sodium_malloc((nuint)length);
        if (block == IntPtr.Zero)
        {
            return null;
        }

        new Span<byte>((void*)block, length).Clear();
        result.SetHandle(block);
        result.Length = length;
        return result;
    }

    protected override bool ReleaseHandle()
    {
        Interop.Sodium.sodium_free(handle);
        return true;
    }
}
