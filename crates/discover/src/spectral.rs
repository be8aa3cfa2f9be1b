//! Spectral seeding of the topic k-means: a first partition of a sample of documents
//! from the graph of their nearest neighbours, which k-means then refines over every
//! document.
//!
//! Why: seeded from single documents (k-means++), spherical k-means on sparse TF-IDF
//! settles in partitions shaped by the commonest words (refund, delivery, thanks) rather
//! than by what and whom the contacts are about; on the real STC-3 dialogues it agreed
//! with the helpdesk-brand gold at NMI 0.68 where BERTopic reached 0.84. Grouping
//! documents by their neighbourhoods first, the structure UMAP + HDBSCAN exploit, and
//! refining with the same k-means closes that gap (figures in `benches/RESULTS.md`).
//!
//! On at most [`SAMPLE`] documents: a randomized truncated SVD of their TF-IDF rows
//! (Halko, Martinsson & Tropp), each document's [`NEIGHBOURS`] nearest by cosine in it,
//! the symmetrised graph, the leading eigenvectors of its normalised adjacency by
//! subspace iteration, and Euclidean k-means on the rows of those (as scikit-learn's
//! `SpectralClustering` does). Written here rather than taken from a linear-algebra
//! crate: the matrices are a few thousand rows, the solvers fit in a page, and the
//! result must not change with a dependency. Sums run in a fixed order and the PRNG is
//! seeded, so the same documents and seed give the same partition on any thread count.

use rayon::prelude::*;

use crate::cluster::{Features, Rng};

/// Documents the graph is built on (an even sample beyond): the neighbour search costs
/// the square of it.
pub const SAMPLE: usize = 4_000;
/// Dimensions of the SVD the neighbours are searched in.
const DIMS: usize = 100;
const OVERSAMPLE: usize = 10;
const POWER_ITERATIONS: usize = 5;
/// Neighbours per document in the graph (UMAP's and BERTopic's default too).
pub const NEIGHBOURS: usize = 15;
/// Extra vectors in the subspace iteration: they speed up convergence of the wanted ones.
const SUBSPACE_EXTRA: usize = 8;
const SUBSPACE_ITERATIONS: usize = 100;
/// Re-orthonormalise the subspace every so many multiplications (its eigenvalues lie in
/// [0, 1], so columns cannot collapse in between).
const ORTHONORMALISE_EVERY: usize = 4;
/// Starts of the k-means on the spectral coordinates; the lowest inertia is kept.
const KMEANS_STARTS: u64 = 10;
const KMEANS_ITERATIONS: usize = 300;

/// A dense matrix by columns: `columns[j][i]`.
type Columns = Vec<Vec<f64>>;

/// A topic per document of `docs` (0..k), or `None` when the sample is too small or too
/// poor in features for a graph (the caller seeds otherwise).
pub fn partition(features: &Features, docs: &[usize], k: usize, seed: u64) -> Option<Vec<u32>> {
    if k < 2 || docs.len() <= NEIGHBOURS.max(k) {
        return None;
    }
    let timer = std::time::Instant::now();
    let lap = |what: &str| tracing::debug!(target: "voc::discover", "spectral {what}: {:.3} s", timer.elapsed().as_secs_f64());
    let mut rng = Rng::new(seed ^ 0x5EC7_2A11);
    let local = LocalRows::new(features, docs);
    lap("rows");
    let coordinates = svd_coordinates(&local, &mut rng)?;
    lap("SVD");
    let graph = Graph::nearest_neighbours(&coordinates, NEIGHBOURS);
    lap("neighbours");
    let embedding = graph.spectral_embedding(k, &mut rng)?;
    lap("eigenvectors");
    let labels = euclidean_kmeans(&embedding, k, &mut rng);
    lap("k-means");
    Some(labels)
}

/// The sample's TF-IDF rows with its features renumbered densely (the corpus may have
/// many more features than the sample uses).
struct LocalRows {
    offsets: Vec<usize>,
    columns: Vec<u32>,
    values: Vec<f64>,
    features: usize,
}

impl LocalRows {
    fn new(features: &Features, docs: &[usize]) -> Self {
        let mut local = vec![u32::MAX; features.len()];
        let mut used = 0u32;
        let mut offsets = Vec::with_capacity(docs.len() + 1);
        offsets.push(0);
        let (mut columns, mut values) = (Vec::new(), Vec::new());
        for &doc in docs {
            let (cols, vals) = features.row(doc);
            for (&f, &v) in cols.iter().zip(vals) {
                if local[f as usize] == u32::MAX {
                    local[f as usize] = used;
                    used += 1;
                }
                columns.push(local[f as usize]);
                values.push(v as f64);
            }
            offsets.push(columns.len());
        }
        LocalRows {
            offsets,
            columns,
            values,
            features: used as usize,
        }
    }

    fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        (&self.columns[a..b], &self.values[a..b])
    }

    /// X · z for each column z (length `features`).
    fn times(&self, z: &Columns) -> Columns {
        z.par_iter()
            .map(|z| {
                (0..self.rows())
                    .map(|i| {
                        let (cols, vals) = self.row(i);
                        cols.iter()
                            .zip(vals)
                            .map(|(&f, &v)| v * z[f as usize])
                            .sum()
                    })
                    .collect()
            })
            .collect()
    }

    /// Xᵀ · q for each column q (length `rows`).
    fn transposed_times(&self, q: &Columns) -> Columns {
        q.par_iter()
            .map(|q| {
                let mut out = vec![0.0; self.features];
                for (i, &qi) in q.iter().enumerate() {
                    let (cols, vals) = self.row(i);
                    for (&f, &v) in cols.iter().zip(vals) {
                        out[f as usize] += v * qi;
                    }
                }
                out
            })
            .collect()
    }
}

/// Sums in lanes, so the compiler can use vector instructions (a single running float
/// sum must be kept in order); the order is fixed, so the result is too.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (ca, ta) = a.as_chunks::<4>();
    let (cb, tb) = b[..a.len()].as_chunks::<4>();
    let mut lanes = [0.0f64; 4];
    for (x, y) in ca.iter().zip(cb) {
        for l in 0..4 {
            lanes[l] += x[l] * y[l];
        }
    }
    let tail: f64 = ta.iter().zip(tb).map(|(x, y)| x * y).sum();
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

/// Σ term(aᵢ, bᵢ) over f32 rows in eight lanes (as [`dot`]), in a fixed order.
#[inline(always)]
fn sum_in_lanes(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let (ca, ta) = a.as_chunks::<8>();
    let (cb, tb) = b[..a.len()].as_chunks::<8>();
    let mut lanes = [0.0f32; 8];
    for (x, y) in ca.iter().zip(cb) {
        for l in 0..8 {
            lanes[l] += term(x[l], y[l]);
        }
    }
    let tail: f32 = ta.iter().zip(tb).map(|(&x, &y)| term(x, y)).sum();
    lanes.iter().sum::<f32>() + tail
}

/// [`dot`] for the f32 coordinates the neighbours are searched in.
fn dot32(a: &[f32], b: &[f32]) -> f32 {
    sum_in_lanes(a, b, |x, y| x * y)
}

/// Random ±1 entries: as good a test matrix for the randomized SVD and the subspace
/// start as Gaussian ones, at a bit of the PRNG each.
fn random_columns(rows: usize, columns: usize, rng: &mut Rng) -> Columns {
    (0..columns)
        .map(|_| {
            let mut column = Vec::with_capacity(rows);
            while column.len() < rows {
                let bits = rng.next_u64();
                column.extend(
                    (0..64.min(rows - column.len()))
                        .map(|b| if bits >> b & 1 == 1 { 1.0 } else { -1.0 }),
                );
            }
            column
        })
        .collect()
}

/// Orthonormal columns spanning the same space: classical Gram–Schmidt, applied twice
/// ("twice is enough") where the result is used, once between multiplications that
/// only need the columns kept apart. A column left (numerically) in the span of the
/// earlier ones is dropped.
fn orthonormalise(columns: Columns) -> Columns {
    gram_schmidt(columns, 2)
}

fn gram_schmidt(columns: Columns, passes: usize) -> Columns {
    let mut out: Columns = Vec::with_capacity(columns.len());
    for mut v in columns {
        let before = dot(&v, &v).sqrt();
        if before == 0.0 {
            continue;
        }
        for _ in 0..passes {
            let projections: Vec<f64> = out.iter().map(|q| dot(q, &v)).collect();
            for (q, p) in out.iter().zip(&projections) {
                v.iter_mut().zip(q).for_each(|(x, y)| *x -= p * y);
            }
        }
        let after = dot(&v, &v).sqrt();
        if after > 1e-9 * before {
            v.iter_mut().for_each(|x| *x /= after);
            out.push(v);
        }
    }
    out
}

/// Eigenvalues (descending) and unit eigenvectors (`vectors[j]`, of `values[j]`) of a
/// small symmetric matrix, by cyclic Jacobi rotations.
fn symmetric_eigen(mut a: Vec<Vec<f64>>) -> (Vec<f64>, Columns) {
    let n = a.len();
    let mut v: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let scale: f64 = a.iter().flatten().map(|x| x * x).sum();
    for _sweep in 0..60 {
        let off: f64 = (0..n)
            .flat_map(|i| ((i + 1)..n).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off <= 1e-26 * scale {
            break;
        }
        for p in 0..n {
            for q in (p + 1)..n {
                let apq = a[p][q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (x, y) = (row[p], row[q]);
                    row[p] = c * x - s * y;
                    row[q] = s * x + c * y;
                }
                let (row_p, row_q) = (a[p].clone(), a[q].clone());
                for j in 0..n {
                    a[p][j] = c * row_p[j] - s * row_q[j];
                    a[q][j] = s * row_p[j] + c * row_q[j];
                }
                for row in v.iter_mut() {
                    let (x, y) = (row[p], row[q]);
                    row[p] = c * x - s * y;
                    row[q] = s * x + c * y;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&x, &y| a[y][y].total_cmp(&a[x][x]).then(x.cmp(&y)));
    let values = order.iter().map(|&j| a[j][j]).collect();
    let vectors = order
        .iter()
        .map(|&j| v.iter().map(|row| row[j]).collect())
        .collect();
    (values, vectors)
}

/// Each document's coordinates in the leading [`DIMS`] singular directions of the
/// sample's TF-IDF, L2-normalised (row-major, `dims` per document).
fn svd_coordinates(x: &LocalRows, rng: &mut Rng) -> Option<Coordinates> {
    let m = x.rows();
    let width = (DIMS + OVERSAMPLE).min(m).min(x.features);
    if width < 2 {
        return None;
    }
    let mut q = gram_schmidt(x.times(&random_columns(x.features, width, rng)), 1);
    for round in 1..=POWER_ITERATIONS {
        q = x.times(&x.transposed_times(&q));
        // Two rounds grow the columns' spread by (σ₁/σₗ)⁴, which f64 holds easily: the
        // columns are kept apart every other round and made orthonormal at the end.
        if round == POWER_ITERATIONS {
            q = orthonormalise(q);
        } else if round % 2 == 0 {
            q = gram_schmidt(q, 1);
        }
    }
    // X ≈ Q·B with B = QᵀX; B's left singular vectors and values from the eigenvectors
    // of B·Bᵀ = WᵀW, W = XᵀQ.
    let w = x.transposed_times(&q);
    let l = q.len();
    let gram: Vec<Vec<f64>> = (0..l)
        .into_par_iter()
        .map(|a| (0..l).map(|b| dot(&w[a], &w[b])).collect())
        .collect();
    let (values, vectors) = symmetric_eigen(gram);
    let dims = DIMS.min(l);
    let sigma: Vec<f64> = values
        .iter()
        .take(dims)
        .map(|v| v.max(0.0).sqrt())
        .collect();
    let mut data = vec![0.0f32; m * dims];
    data.par_chunks_mut(dims).enumerate().for_each(|(i, row)| {
        let mut norm = 0.0;
        let mut coordinates = vec![0.0f64; dims];
        let qi: Vec<f64> = q.iter().map(|column| column[i]).collect();
        for (j, value) in coordinates.iter_mut().enumerate() {
            *value = dot(&qi, &vectors[j]) * sigma[j];
            norm += *value * *value;
        }
        let norm = norm.sqrt();
        if norm > 0.0 {
            for (out, v) in row.iter_mut().zip(coordinates) {
                *out = (v / norm) as f32;
            }
        }
    });
    Some(Coordinates { data, dims })
}

/// Dense rows, `dims` numbers each.
struct Coordinates {
    data: Vec<f32>,
    dims: usize,
}

impl Coordinates {
    fn rows(&self) -> usize {
        self.data.len() / self.dims
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dims..(i + 1) * self.dims]
    }
}

/// The symmetrised nearest-neighbour graph, its weights normalised by degree:
/// `D^-1/2 · A · D^-1/2` with A = (N + Nᵀ) / 2, N the neighbour relation.
struct Graph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Vec<f64>,
    degree: Vec<f64>,
}

impl Graph {
    fn nearest_neighbours(points: &Coordinates, neighbours: usize) -> Graph {
        let m = points.rows();
        let nn = neighbours.min(m - 1);
        // Rows in blocks of TILE, each other row read once per block (the coordinates
        // do not fit in the cache; the block does).
        const TILE: usize = 32;
        let lists: Vec<Vec<u32>> = (0..m.div_ceil(TILE))
            .into_par_iter()
            .flat_map_iter(|block| {
                let rows = block * TILE..((block + 1) * TILE).min(m);
                let mut scores = vec![vec![0.0f32; m]; rows.len()];
                for j in 0..m {
                    let b = points.row(j);
                    for (i, out) in rows.clone().zip(scores.iter_mut()) {
                        out[j] = dot32(points.row(i), b);
                    }
                }
                rows.zip(scores).map(move |(i, scores)| {
                    let mut scored: Vec<(f32, u32)> = scores
                        .into_iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(j, s)| (s, j as u32))
                        .collect();
                    let closer =
                        |x: &(f32, u32), y: &(f32, u32)| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1));
                    scored.select_nth_unstable_by(nn - 1, closer);
                    scored.truncate(nn);
                    scored.into_iter().map(|(_, j)| j).collect::<Vec<u32>>()
                })
            })
            .collect();
        let mut edges: Vec<(u32, u32)> = Vec::with_capacity(2 * m * nn);
        for (i, list) in lists.iter().enumerate() {
            for &j in list {
                edges.push((i as u32, j));
                edges.push((j, i as u32));
            }
        }
        edges.sort_unstable();
        let mut offsets = vec![0usize; m + 1];
        let (mut targets, mut weights) = (Vec::new(), Vec::<f64>::new());
        let mut e = 0;
        while e < edges.len() {
            let mut f = e;
            while f < edges.len() && edges[f] == edges[e] {
                f += 1;
            }
            // Each direction of a neighbour relation weighs a half.
            targets.push(edges[e].1);
            weights.push(0.5 * (f - e) as f64);
            offsets[edges[e].0 as usize + 1] = targets.len();
            e = f;
        }
        for i in 1..=m {
            offsets[i] = offsets[i].max(offsets[i - 1]);
        }
        let degree: Vec<f64> = (0..m)
            .map(|i| weights[offsets[i]..offsets[i + 1]].iter().sum())
            .collect();
        for i in 0..m {
            for e in offsets[i]..offsets[i + 1] {
                weights[e] /= (degree[i] * degree[targets[e] as usize]).sqrt();
            }
        }
        Graph {
            offsets,
            targets,
            weights,
            degree,
        }
    }

    /// (M + I) / 2 · v: the normalised adjacency M shifted so that its eigenvalues lie in
    /// [0, 1] and the wanted (largest) ones dominate the power iteration.
    fn shifted_times(&self, v: &[f64]) -> Vec<f64> {
        (0..v.len())
            .map(|i| {
                let (a, b) = (self.offsets[i], self.offsets[i + 1]);
                let mv: f64 = self.targets[a..b]
                    .iter()
                    .zip(&self.weights[a..b])
                    .map(|(&j, &w)| w * v[j as usize])
                    .sum();
                0.5 * (mv + v[i])
            })
            .collect()
    }

    /// Each node's coordinates in the `k` leading eigenvectors of the normalised
    /// adjacency, divided by the square root of its degree (scikit-learn's
    /// `spectral_embedding`), as rows of `k`.
    fn spectral_embedding(&self, k: usize, rng: &mut Rng) -> Option<Coordinates> {
        let m = self.degree.len();
        let width = (k + SUBSPACE_EXTRA).min(m);
        let mut q = orthonormalise(random_columns(m, width, rng));
        for iteration in 1..=SUBSPACE_ITERATIONS {
            q = q.par_iter().map(|c| self.shifted_times(c)).collect();
            if iteration == SUBSPACE_ITERATIONS {
                q = orthonormalise(q);
            } else if iteration % ORTHONORMALISE_EVERY == 0 {
                q = gram_schmidt(q, 1);
            }
        }
        if q.len() < k {
            return None;
        }
        // Rayleigh–Ritz: the best k vectors of the subspace.
        let mq: Columns = q.par_iter().map(|c| self.shifted_times(c)).collect();
        let l = q.len();
        let projected: Vec<Vec<f64>> = (0..l)
            .map(|a| {
                (0..l)
                    .map(|b| 0.5 * (dot(&q[a], &mq[b]) + dot(&q[b], &mq[a])))
                    .collect()
            })
            .collect();
        let (_, vectors) = symmetric_eigen(projected);
        let mut data = vec![0.0f32; m * k];
        data.par_chunks_mut(k).enumerate().for_each(|(i, row)| {
            let scale = self.degree[i].sqrt();
            let qi: Vec<f64> = q.iter().map(|column| column[i]).collect();
            for (j, out) in row.iter_mut().enumerate() {
                *out = (dot(&qi, &vectors[j]) / scale) as f32;
            }
        });
        Some(Coordinates { data, dims: k })
    }
}

fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    sum_in_lanes(a, b, |x, y| (x - y) * (x - y))
}

/// Nearest centroid of a point and its squared distance (ties to the lower index).
fn nearest(point: &[f32], centroids: &[Vec<f32>]) -> (u32, f32) {
    let mut best = (0u32, f32::MAX);
    for (c, centroid) in centroids.iter().enumerate() {
        let d = squared_distance(point, centroid);
        if d < best.1 {
            best = (c as u32, d);
        }
    }
    best
}

/// Lloyd's k-means from k-means++ seeds, [`KMEANS_STARTS`] times; the partition of
/// lowest inertia.
fn euclidean_kmeans(points: &Coordinates, k: usize, rng: &mut Rng) -> Vec<u32> {
    let m = points.rows();
    let mut best: Option<(f64, Vec<u32>)> = None;
    for _ in 0..KMEANS_STARTS {
        // k-means++: each next seed drawn with probability proportional to the squared
        // distance to the nearest seed so far.
        let first = (rng.next_u64() % m as u64) as usize;
        let mut centroids = vec![points.row(first).to_vec()];
        let mut distance: Vec<f32> = (0..m)
            .map(|i| squared_distance(points.row(i), &centroids[0]))
            .collect();
        while centroids.len() < k {
            let total: f64 = distance.iter().map(|&d| d as f64).sum();
            let pick = if total > 0.0 {
                let mut target = rng.unit() * total;
                let mut pick = m - 1;
                for (i, &d) in distance.iter().enumerate() {
                    target -= d as f64;
                    if target < 0.0 {
                        pick = i;
                        break;
                    }
                }
                pick
            } else {
                (rng.next_u64() % m as u64) as usize
            };
            centroids.push(points.row(pick).to_vec());
            let last = centroids.last().expect("just pushed");
            for (i, d) in distance.iter_mut().enumerate() {
                *d = d.min(squared_distance(points.row(i), last));
            }
        }
        let mut labels = vec![u32::MAX; m];
        for _ in 0..KMEANS_ITERATIONS {
            let next: Vec<u32> = (0..m)
                .into_par_iter()
                .map(|i| nearest(points.row(i), &centroids).0)
                .collect();
            if next == labels {
                break;
            }
            labels = next;
            // Sums in point order; an emptied centroid stays where it was.
            let mut sums = vec![vec![0.0f64; points.dims]; k];
            let mut sizes = vec![0usize; k];
            for (i, &c) in labels.iter().enumerate() {
                sizes[c as usize] += 1;
                for (s, &x) in sums[c as usize].iter_mut().zip(points.row(i)) {
                    *s += x as f64;
                }
            }
            for c in 0..k {
                if sizes[c] > 0 {
                    centroids[c] = sums[c]
                        .iter()
                        .map(|s| (s / sizes[c] as f64) as f32)
                        .collect();
                }
            }
        }
        let inertia: f64 = (0..m)
            .map(|i| squared_distance(points.row(i), &centroids[labels[i] as usize]) as f64)
            .sum();
        if best.as_ref().is_none_or(|b| inertia < b.0) {
            best = Some((inertia, labels));
        }
    }
    best.expect("one start at least").1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_finds_eigenpairs() {
        let a = vec![
            vec![4.0, 1.0, 0.5, 0.0],
            vec![1.0, 3.0, 0.2, 0.1],
            vec![0.5, 0.2, 2.0, 0.3],
            vec![0.0, 0.1, 0.3, 1.0],
        ];
        let (values, vectors) = symmetric_eigen(a.clone());
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
        for (value, vector) in values.iter().zip(&vectors) {
            assert!((dot(vector, vector) - 1.0).abs() < 1e-9);
            for i in 0..4 {
                let av: f64 = (0..4).map(|j| a[i][j] * vector[j]).sum();
                assert!(
                    (av - value * vector[i]).abs() < 1e-9,
                    "row {i}: {av} vs {}",
                    value * vector[i]
                );
            }
        }
        // The trace is kept.
        assert!((values.iter().sum::<f64>() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn orthonormalise_drops_dependent_columns() {
        let q = orthonormalise(vec![
            vec![1.0, 1.0, 0.0],
            vec![2.0, 2.0, 0.0],
            vec![0.0, 1.0, 1.0],
        ]);
        assert_eq!(q.len(), 2);
        for a in 0..2 {
            for b in 0..2 {
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot(&q[a], &q[b]) - expected).abs() < 1e-12);
            }
        }
    }

    /// Identical contacts (a template sent 40 times): no panic, one part or none.
    #[test]
    fn identical_documents_do_not_break_it() {
        for features_per_row in [1usize, 2] {
            let n = 40;
            let mut features = Features::default();
            features.offsets.push(0);
            for _ in 0..n {
                for f in 0..features_per_row {
                    features.columns.push(f as u32);
                    features.values.push(1.0 / (features_per_row as f32).sqrt());
                }
                features.offsets.push(features.columns.len());
            }
            features.feature_words = (0..features_per_row as u32).collect();
            features.document_frequency = vec![n as u32; features_per_row];
            let docs: Vec<usize> = (0..n).collect();
            if let Some(labels) = partition(&features, &docs, 3, 42) {
                assert_eq!(labels.len(), n);
                assert!(labels.iter().all(|&l| l < 3));
            }
            let options = crate::cluster::KMeansOptions {
                k: 3,
                seeding: crate::cluster::Seeding::Spectral,
                seed: 42,
                max_iterations: 20,
                min_similarity: 0.05,
            };
            let clustering = crate::cluster::kmeans(&features, &options);
            assert_eq!(clustering.assignment.len(), n);
            assert!(clustering.assignment.iter().all(Option::is_some));
        }
    }

    /// Two cliques joined by one edge: the leading eigenvectors separate them.
    #[test]
    fn the_embedding_separates_two_communities() {
        let mut points = Vec::new();
        // Two tight groups of 20 points on the unit circle, far apart.
        for i in 0..40 {
            let angle = if i < 20 {
                0.01 * i as f32
            } else {
                1.5 + 0.01 * i as f32
            };
            points.extend([angle.cos(), angle.sin()]);
        }
        let coordinates = Coordinates {
            data: points,
            dims: 2,
        };
        let graph = Graph::nearest_neighbours(&coordinates, 5);
        let embedding = graph
            .spectral_embedding(2, &mut Rng::new(1))
            .expect("40 nodes");
        let labels = euclidean_kmeans(&embedding, 2, &mut Rng::new(2));
        assert!(labels[..20].iter().all(|&l| l == labels[0]), "{labels:?}");
        assert!(labels[20..].iter().all(|&l| l == labels[20]), "{labels:?}");
        assert_ne!(labels[0], labels[20]);
    }
}
