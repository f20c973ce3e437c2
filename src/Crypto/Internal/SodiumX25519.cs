namespace RouterHost.Crypto.Internal;

/// <summary>X25519 through libsodium's crypto_scalarmult_curve25519. Stateless; arguments are valid.</summary>
internal static unsafe class SodiumX25519
{
    internal static void GetPublicKey(ReadOnlySpan<byte> scalar, Span<byte> publicKey)
    {
        fixed (byte* s = scalar)
        fixed (byte* p = publicKey)
        {
            if (Interop.Sodium.crypto_scalarmult_curve25519_base(p, s) != 0)
            {
                ThrowHelper.Native(nameof(Interop.Sodium.crypto_scalarmult_curve25519_base));
            }
        }
    }

    /// <summary>False when libsodium refuses (it refuses an all-zero shared secret).</summary>
    internal static bool Agree(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        fixed (byte* s = scalar)
        fixed (byte* p = peerPublicKey)
        fixed (byte* q = sharedSecret)
        {
            return Interop.Sodium.crypto_scalarmult_curve25519(q, s, p) == 0;
        }
    }
}
