using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>
/// The name index's map from folders to names (issue 14): per folder, the ids (names table) of every name its files
/// have had, as unsigned LEB128 varints in one blob (folder_names.name_ids). A -Name query finds the matching names
/// through the trigram index, then the folders that hold them by decoding these blobs (about 3 bytes a file), then
/// the files by primary key.
/// </summary>
/// <remarks>
/// Why not an index on files(name): every entry of an index on the files table repeats the file's name (its key is
/// (dir_id, name)), which measured +50 bytes a file and cost a first scan of the bench tree 17-22% even when built by
/// sorting after the load. One blob per folder is written once per folder listing instead of once per file.
/// Entries are never removed when a file goes: a stale (folder, name) pair finds no row, or a removed one.
/// </remarks>
internal static class FolderNames
{
    /// <summary>Appends <paramref name="id"/> as an unsigned LEB128 varint.</summary>
    public static void Write(List<byte> into, long id)
    {
        ulong v = (ulong)id;
        while (v >= 0x80)
        {
            into.Add((byte)(v | 0x80));
            v >>= 7;
        }
        into.Add((byte)v);
    }

    /// <summary>The ids in a blob, in the order written.</summary>
    /// <exception cref="InvalidDataException">The blob ends inside a varint, or a varint is longer than 64 bits.</exception>
    public static IEnumerable<long> Read(byte[] blob)
    {
        int i = 0;
        while (i < blob.Length)
        {
            ulong v = 0;
            int shift = 0;
            while (true)
            {
                if (i >= blob.Length || shift > 63)
                {
                    throw new InvalidDataException("A folder's name list in the catalog is damaged (folder_names). Optimize-ScanCatalog rebuilds it.");
                }
                byte b = blob[i++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
                shift += 7;
            }
            yield return (long)v;
        }
    }

    /// <summary>
    /// Fills folder_names from the files table (schema 5 on an older catalog; a rebuild): each folder's names, by id.
    /// Runs inside the caller's transaction.
    /// </summary>
    public static void Build(SqliteConnection connection)
    {
        CatalogDatabase.Execute(connection, "DELETE FROM folder_names;");
        using SqliteCommand read = connection.CreateCommand();
        read.CommandText = "SELECT f.dir_id, n.id FROM files f JOIN names n INDEXED BY sqlite_autoindex_names_1 ON n.name = f.name ORDER BY f.dir_id;";
        using SqliteCommand write = connection.CreateCommand();
        write.CommandText = "INSERT INTO folder_names (dir_id, name_ids) VALUES ($dir, $ids);";
        SqliteParameter dirParameter = write.Parameters.Add("$dir", SqliteType.Integer);
        SqliteParameter idsParameter = write.Parameters.Add("$ids", SqliteType.Blob);
        var blob = new List<byte>();
        long dir = -1;
        void Flush()
        {
            if (blob.Count > 0)
            {
                dirParameter.Value = dir;
                idsParameter.Value = blob.ToArray();
                write.ExecuteNonQuery();
                blob.Clear();
            }
        }
        using (SqliteDataReader r = read.ExecuteReader())
        {
            while (r.Read())
            {
                long d = r.GetInt64(0);
                if (d != dir)
                {
                    Flush();
                    dir = d;
                }
                Write(blob, r.GetInt64(1));
            }
        }
        Flush();
    }
}
