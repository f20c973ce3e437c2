using System.Runtime.InteropServices;
using RouterHost.Crypto.Internal;

namespace Microsoft.Win32.SafeHandles;

/// <summary>Owns one provider cipher context (<see cref="ProviderChaCha20Poly1305.NewContext"/>); released with the provider's <c>freectx</c>.</summary>
internal sealed class SafeProviderCipherCtxHandle : SafeHandle
{
    public SafeProviderCipherCtxHandle(IntPtr context)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(context);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        ProviderChaCha20Poly1305.FreeContext(handle);
        return true;
    }
}
