#include "batch_pipeline.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

#include "attn/errors.h"

namespace attn::app {
namespace {

struct Batch {
  size_t sequence = 0;
  std::vector<InputText> inputs;
  size_t text_bytes = 0;
};

// A batch also ends once it holds this much text, so that long lines do not multiply the memory of the batches
// in flight: 32 lines of 50 MB would otherwise be 1.6 GB of text (and more in token ids) per batch.
constexpr size_t kMaxBatchTextBytes = size_t{1} << 20;

struct FormattedBatch {
  std::vector<std::string> records;
  std::vector<std::string> dumps;  // empty without --attention
  size_t errors = 0;
};

// Windows of long texts are run through the model this many at a time, so that one huge line cut into many
// windows needs no more memory for its states than an ordinary batch.
constexpr size_t kMaxPartsPerPredict = 64;

// Tokenizes, classifies and formats one batch. Lines that cannot be classified become error records in place.
FormattedBatch process(const Model& model, const Batch& batch, Workspace& work, const RecordWriter& writer,
                       const AttentionDump* dump, const LongTextOptions& long_text) {
  const size_t n = batch.inputs.size();
  std::vector<LongTextEncoding> encodings(n);
  std::vector<std::string> errors(n);
  std::vector<const Encoding*> parts;  // what the model runs: one encoding per input, or one per window
  std::vector<size_t> first_part(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const InputText& input = batch.inputs[i];
    if (!input.error.empty()) {
      errors[i] = input.error;
    } else if (input.text.empty()) {
      errors[i] = input.source + ":" + std::to_string(input.line) + ": empty line";
    } else {
      try {
        encodings[i] = encode_long_text(model, input.text, long_text);
        first_part[i] = parts.size();
        for (const Encoding* part : encodings[i].parts()) parts.push_back(part);
      } catch (const InputError& e) {
        errors[i] = input.source + ":" + std::to_string(input.line) + ": " + e.what();
      }
    }
  }
  std::vector<AttentionMaps> maps;
  std::vector<Prediction> predictions;
  for (size_t begin = 0; begin < parts.size(); begin += kMaxPartsPerPredict) {
    const size_t end = std::min(parts.size(), begin + kMaxPartsPerPredict);
    const std::vector<const Encoding*> chunk_parts(parts.begin() + static_cast<std::ptrdiff_t>(begin),
                                                  parts.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<AttentionMaps> chunk_maps;
    std::vector<Prediction> chunk = model.predict(chunk_parts, work, dump != nullptr ? &chunk_maps : nullptr);
    std::move(chunk.begin(), chunk.end(), std::back_inserter(predictions));
    std::move(chunk_maps.begin(), chunk_maps.end(), std::back_inserter(maps));
  }

  FormattedBatch out;
  out.records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Record record;
    record.input = &batch.inputs[i];
    RecordParts record_parts;
    Prediction combined;
    if (errors[i].empty()) {
      const size_t first = first_part[i], count = encodings[i].num_windows();
      record.encoding = &encodings[i].encoding;
      record.long_text = &encodings[i];
      record.prediction = &predictions[first];
      if (encodings[i].windowed()) {
        std::vector<const Prediction*> windows;
        for (size_t w = 0; w < count; ++w) windows.push_back(&predictions[first + w]);
        combined = combine_windows(windows, long_text.combine);
        record.prediction = &combined;
      }
      record_parts = {dump != nullptr ? &maps[first] : nullptr, &predictions[first], count};
    } else {
      record.error = errors[i];
      ++out.errors;
    }
    out.records.push_back(writer.format(record));
    if (dump != nullptr) out.dumps.push_back(dump->format(record, record_parts));
  }
  return out;
}

}  // namespace

PipelineResult run_pipeline(const Model& model, InputReader& reader, RecordWriter& writer, AttentionDump* dump,
                            const PipelineOptions& options) {
  const size_t batch_size = options.batch_size, threads = options.threads;
  std::mutex mutex;
  std::condition_variable work_ready;   // a batch was queued, or reading ended, or a worker failed
  std::condition_variable result_ready;  // a batch finished
  std::deque<Batch> queue;
  std::map<size_t, FormattedBatch> finished;
  bool reading_done = false;
  std::exception_ptr failure;

  auto worker = [&] {
    Workspace work;
    while (true) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mutex);
        work_ready.wait(lock, [&] { return !queue.empty() || reading_done || failure; });
        if (failure || queue.empty()) return;
        batch = std::move(queue.front());
        queue.pop_front();
      }
      try {
        FormattedBatch result = process(model, batch, work, writer, dump, options.long_text);
        std::lock_guard<std::mutex> lock(mutex);
        finished.emplace(batch.sequence, std::move(result));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        work_ready.notify_all();
      }
      result_ready.notify_all();
    }
  };

  PipelineResult total;
  size_t next_to_write = 0;
  size_t submitted = 0;
  const size_t max_in_flight = 2 * threads;
  // Writes every finished batch that is next in order; with wait_for_one, blocks until at least one is written.
  auto write_ready = [&](bool wait_for_one) {
    std::unique_lock<std::mutex> lock(mutex);
    if (wait_for_one) {
      result_ready.wait(lock, [&] { return finished.count(next_to_write) > 0 || failure; });
    }
    if (failure) std::rethrow_exception(failure);
    while (true) {
      auto it = finished.find(next_to_write);
      if (it == finished.end()) break;
      FormattedBatch batch = std::move(it->second);
      finished.erase(it);
      lock.unlock();
      for (size_t i = 0; i < batch.records.size(); ++i) {
        writer.write(batch.records[i]);
        if (dump != nullptr) dump->write(batch.dumps[i]);
      }
      writer.flush();  // whole records reach the output batch by batch
      total.inputs += batch.records.size();
      total.errors += batch.errors;
      if (options.progress != nullptr) options.progress(total.inputs, options.progress_context);
      lock.lock();
      ++next_to_write;
    }
  };

  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
  auto stop_pool = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      reading_done = true;
    }
    work_ready.notify_all();
    for (auto& thread : pool) thread.join();
    pool.clear();
  };

  try {
    Batch batch;
    InputText input;
    auto submit = [&] {
      batch.sequence = submitted++;
      {
        std::lock_guard<std::mutex> lock(mutex);
        queue.push_back(std::move(batch));
      }
      work_ready.notify_one();
      batch = Batch{};
      while (submitted - next_to_write >= max_in_flight) write_ready(true);
      write_ready(false);
    };
    while (reader.next(input)) {
      if (interrupted()) throw Interrupted();
      batch.text_bytes += input.text.size();
      batch.inputs.push_back(std::move(input));
      if (batch.inputs.size() >= batch_size || batch.text_bytes >= kMaxBatchTextBytes) submit();
    }
    if (!batch.inputs.empty()) submit();
    while (next_to_write < submitted) {
      if (interrupted()) throw Interrupted();
      write_ready(true);
    }
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
    }
    stop_pool();
    throw;
  }
  stop_pool();
  return total;
}

}  // namespace attn::app
