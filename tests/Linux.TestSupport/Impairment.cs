using System.Globalization;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// What an <see cref="ImpairmentRelay"/> does to the datagrams going one way, each a probability drawn per datagram
/// from the relay's seeded generator. <see cref="None"/> forwards everything untouched and at once.
/// </summary>
public sealed record Impairment
{
    /// <summary>Forward everything untouched, at once.</summary>
    public static readonly Impairment None = new();

    /// <summary>Probability that a datagram is dropped.</summary>
    public double Loss { get; init; }

    /// <summary>
    /// Probability that a datagram that was not lost has one byte at or past
    /// <see cref="ImpairmentRelayOptions.CorruptFrom"/> flipped (XOR with a non-zero value).
    /// </summary>
    public double Corruption { get; init; }

    /// <summary>Probability that a datagram neither lost nor corrupted is sent twice.</summary>
    public double Duplication { get; init; }

    /// <summary>
    /// Probability that a datagram (each copy, apart) is held for a delay drawn uniformly from
    /// [<see cref="DelayMin"/>, <see cref="DelayMax"/>]; datagrams not held, or held less long, overtake it.
    /// </summary>
    public double Delay { get; init; }

    /// <summary>The shortest delay of a held datagram.</summary>
    public TimeSpan DelayMin { get; init; }

    /// <summary>The longest delay of a held datagram.</summary>
    public TimeSpan DelayMax { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> and the value when a setting is out of range.</summary>
    internal void Validate(string name)
    {
        Probability(name, nameof(Loss), Loss);
        Probability(name, nameof(Corruption), Corruption);
        Probability(name, nameof(Duplication), Duplication);
        Probability(name, nameof(Delay), Delay);
        if (DelayMin < TimeSpan.Zero || DelayMax < DelayMin)
        {
            throw new ArgumentException(string.Create(
                CultureInfo.InvariantCulture,
                $"{name}: DelayMin ({DelayMin.TotalMilliseconds} ms) must be at least 0 and at most DelayMax ({DelayMax.TotalMilliseconds} ms)"));
        }
    }

    private static void Probability(string name, string setting, double value)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentException(string.Create(
                CultureInfo.InvariantCulture, $"{name}: {setting} is {value}; a probability must be from 0 to 1"));
        }
    }
}
