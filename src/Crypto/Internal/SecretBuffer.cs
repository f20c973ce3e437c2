namespace RouterHost.Crypto.Internal;

/// <summary>Allocation of key material: pinned (never copied by the GC), wiped by its owner on dispose.</summary>
internal static class SecretBuffer
{
    internal static byte[] Allocate(int length) => GC.AllocateArray<byte>(length, pinned: true);

    internal static unsafe byte* Pointer(byte[] pinned) =>
        (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(pinned));
}
