namespace RouterHost.Crypto.Tests;

/// <summary>libsodium functions the library does not use, called directly as independent oracles.</summary>
internal static unsafe class SodiumReference
{
    internal static byte[] XChaCha20Poly1305Seal(byte[] key, byte[] nonce, byte[] plaintext, byte[] ad)
    {
        byte[] output = new byte[plaintext.Length + 16];
        ulong tagLength;
        fixed (byte* k = key)
        fixed (byte* n = nonce)
        fixed (byte* p = plaintext)
        fixed (byte* a = ad)
        fixed (byte* c = output)
        {
            int rc = Interop.Sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                c, c + plaintext.Length, &tagLength, p, (ulong)plaintext.Length, a, (ulong)ad.Length, null, n, k);
            Assert.Equal(0, rc);
        }

        return output;
    }

    internal static byte[] HChaCha20(byte[] key, byte[] nonce16)
    {
        byte[] output = new byte[32];
        fixed (byte* k = key)
        fixed (byte* n = nonce16)
        fixed (byte* o = output)
        {
            Assert.Equal(0, Interop.Sodium.crypto_core_hchacha20(o, n, k, null));
        }

        return output;
    }
}
