using System.Diagnostics.Metrics;

namespace RouterHost.Settings;

/// <summary>The measurements a built-in stage reports for an observable counter: one per kind, tagged with the stage.</summary>
public static class StageMetrics
{
    /// <summary>
    /// One measurement of <paramref name="values"/>[i] per kind, tagged <c>stage</c> = <paramref name="stage"/> and
    /// <paramref name="tag"/> = <paramref name="names"/>[i] (control plane; allocates).
    /// </summary>
    public static Measurement<long>[] Tagged(string stage, string tag, ReadOnlySpan<long> values, ReadOnlySpan<string> names)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(values.Length, names.Length, nameof(values));
        var stageTag = new KeyValuePair<string, object?>("stage", stage);
        var measurements = new Measurement<long>[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            measurements[i] = new Measurement<long>(values[i], stageTag, new KeyValuePair<string, object?>(tag, names[i]));
        }

        return measurements;
    }
}
