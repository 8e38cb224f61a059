/**
 * Embeddings: one unit-length vector per text, so the dot product of two is their cosine
 * similarity. Rank some verses by how close they are to a query.
 *
 * The demo model is a 2M-parameter text generator, not an embedding model: its ranking
 * says little beyond "the same text scores 1". Pull an embedding model (for example a
 * GGUF of nomic-embed-text) for real semantic search; the code stays the same.
 * Run: node --import tsx examples/embeddings.ts
 */
import { Model, defaultModelPath } from "../src/index.ts";

await using model = await Model.load(defaultModelPath);
// An embedding context of your own (model.embed() keeps one for you otherwise); one thread for small machines.
await using embeddings = await model.createEmbeddingContext({ threads: 1 });

const verses = ["In the beginning God created the heaven and the earth.", "And the LORD spake unto Moses, saying,", "The LORD is my shepherd; I shall not want."];
const query = "The LORD is my shepherd; I shall not want.";
const [queryVector, ...verseVectors] = await embeddings.embed([query, ...verses]);

const dot = (first: number[], second: number[]) => first.reduce((sum, value, index) => sum + value * second[index]!, 0);
console.log(`${embeddings.dimensions} dimensions, ${verses.length + 1} texts`);
const ranked = verses.map((verse, index) => ({ verse, similarity: dot(queryVector!, verseVectors[index]!) })).sort((first, second) => second.similarity - first.similarity);
for (const { verse, similarity } of ranked) console.log(`${similarity.toFixed(3)}  ${verse}`);
