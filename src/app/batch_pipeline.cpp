#include "batch_pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "attn/errors.h"
#include "attn/predict_text.h"
#include "input_prefetch.h"

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

// How long the batching thread waits for the next input before it classifies and writes out what it has. Input
// that is plentiful (a file, a fast pipe) is read ahead by then, so full batches stay full; a line typed or
// written by a slow producer is answered this much later at most, plus the time to classify it.
constexpr std::chrono::milliseconds kInputPatience{2};

// Error records also shown on stderr; the rest are counted.
constexpr size_t kErrorsShown = 10;

struct FormattedBatch {
  std::vector<std::string> records;
  std::vector<std::string> dumps;   // empty without --attention
  std::vector<std::string> errors;  // the messages of the error records, for stderr
  size_t below_threshold = 0;
};

// Tokenizes, classifies and formats one batch. Lines that cannot be classified become error records in place.
FormattedBatch process(const Model& model, const Batch& batch, Workspace& work, const RecordWriter& writer,
                       const AttentionDump* dump, const LongTextOptions& long_text) {
  const size_t n = batch.inputs.size();
  constexpr size_t kNoText = static_cast<size_t>(-1);
  std::vector<std::string_view> texts;  // the lines that are texts to classify
  std::vector<size_t> text_index(n, kNoText);
  for (size_t i = 0; i < n; ++i) {
    const InputText& input = batch.inputs[i];
    if (input.error.empty() && !input.text.empty()) {
      text_index[i] = texts.size();
      texts.push_back(input.text);
    }
  }
  const std::vector<TextPrediction> predictions = predict_texts(model, texts, long_text, work, dump != nullptr);

  FormattedBatch out;
  out.records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const InputText& input = batch.inputs[i];
    Record record;
    record.input = &input;
    RecordParts record_parts;
    const TextPrediction* text = text_index[i] == kNoText ? nullptr : &predictions[text_index[i]];
    if (!input.error.empty()) {
      record.error = input.error;
    } else if (text == nullptr) {
      record.error = input.source + ":" + std::to_string(input.line) + ": empty line";
    } else if (!text->error.empty()) {
      record.error = input.source + ":" + std::to_string(input.line) + ": " + text->error;
    } else {
      record.encoding = &text->encoding.encoding;
      record.long_text = &text->encoding;
      record.prediction = &text->prediction();
      record_parts = {dump != nullptr ? text->attention.data() : nullptr, text->parts.data(), text->parts.size()};
    }
    if (record.prediction == nullptr)
      out.errors.push_back(record.error);
    else if (below_threshold(*record.prediction, writer.layout()))
      ++out.below_threshold;
    out.records.push_back(writer.format(record));
    if (dump != nullptr) out.dumps.push_back(dump->format(record, record_parts));
  }
  return out;
}

// Worker threads that process batches in any order. Finished batches wait here until the reading thread takes
// them by sequence number; the first exception of a worker stops the others and is rethrown to the taker.
class WorkQueue {
 public:
  using Work = std::function<FormattedBatch(const Batch&, Workspace&)>;

  WorkQueue(size_t threads, Work work) : work_(std::move(work)) {
    // The workers leave SIGINT, SIGTERM and SIGHUP to the main thread, which holds them off while it renames
    // an output into place (a worker taking one then would remove the file mid-commit).
    const InterruptionsBlocked blocked;
    for (size_t t = 0; t < threads; ++t) {
      try {
        pool_.emplace_back([this] { run(); });
      } catch (const std::system_error& e) {
        // A limit on processes or memory (ulimit -u, -v): go on with the workers there are.
        if (pool_.empty()) throw Error(std::string("cannot start a worker thread (") + e.what() + ")");
        spdlog::warn("started {} of {} worker threads ({})", pool_.size(), threads, e.what());
        break;
      }
    }
  }
  ~WorkQueue() { stop(); }

  void push(Batch batch) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(batch));
    }
    work_ready_.notify_one();
  }

  // Batch `sequence` once finished (waiting for it when `wait`), or nothing when it is not finished yet.
  std::optional<FormattedBatch> take(size_t sequence, bool wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (wait) result_ready_.wait(lock, [&] { return finished_.count(sequence) > 0 || failure_; });
    if (failure_) std::rethrow_exception(failure_);
    auto it = finished_.find(sequence);
    if (it == finished_.end()) return std::nullopt;
    FormattedBatch batch = std::move(it->second);
    finished_.erase(it);
    return batch;
  }

  // Stops the workers after `error` (the first one recorded wins).
  void fail(std::exception_ptr error) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failure_) failure_ = error;
  }

  // No more batches: the workers finish what is queued (nothing, after a failure) and are joined.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      reading_done_ = true;
    }
    work_ready_.notify_all();
    for (auto& thread : pool_) thread.join();
    pool_.clear();
  }

 private:
  void run() {
    Workspace work;
    while (true) {
      Batch batch;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        work_ready_.wait(lock, [&] { return !queue_.empty() || reading_done_ || failure_; });
        if (failure_ || queue_.empty()) return;
        batch = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        FormattedBatch result = work_(batch, work);
        std::lock_guard<std::mutex> lock(mutex_);
        finished_.emplace(batch.sequence, std::move(result));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!failure_) failure_ = std::current_exception();
        work_ready_.notify_all();
      }
      result_ready_.notify_all();
    }
  }

  Work work_;
  std::mutex mutex_;
  std::condition_variable work_ready_;    // a batch was queued, or reading ended, or a worker failed
  std::condition_variable result_ready_;  // a batch finished
  std::deque<Batch> queue_;
  std::map<size_t, FormattedBatch> finished_;
  bool reading_done_ = false;
  std::exception_ptr failure_;
  std::vector<std::thread> pool_;
};

// Writes finished batches strictly in input order, whole records batch by batch, and counts them.
class OrderedWriter {
 public:
  OrderedWriter(RecordWriter& writer, AttentionDump* dump, const PipelineOptions& options)
      : writer_(writer), dump_(dump), options_(options) {}

  void write(const FormattedBatch& batch) {
    for (size_t i = 0; i < batch.records.size(); ++i) {
      writer_.write(batch.records[i]);
      if (dump_ != nullptr) dump_->write(batch.dumps[i]);
    }
    writer_.flush();
    // Each error is in its record, and on stderr for whoever watches the run (the first few: a file of bad
    // lines would bury the rest of stderr).
    for (const auto& error : batch.errors) {
      if (total_.errors++ < kErrorsShown) spdlog::error("{}", error);
    }
    total_.inputs += batch.records.size();
    total_.below_threshold += batch.below_threshold;
    ++written_;
    if (options_.progress != nullptr) options_.progress(total_.inputs, options_.progress_context);
  }
  size_t batches_written() const { return written_; }
  const PipelineResult& total() const { return total_; }

 private:
  RecordWriter& writer_;
  AttentionDump* dump_;
  const PipelineOptions& options_;
  PipelineResult total_;
  size_t written_ = 0;
};

}  // namespace

PipelineResult run_pipeline(const Model& model, InputReader& reader, RecordWriter& writer, AttentionDump* dump,
                            const PipelineOptions& options) {
  WorkQueue queue(options.threads, [&](const Batch& batch, Workspace& work) {
    return process(model, batch, work, writer, dump, options.long_text);
  });
  OrderedWriter out(writer, dump, options);
  // Writes every finished batch that is next in order; with wait_for_one, blocks until at least one is written.
  auto write_finished = [&](bool wait_for_one) {
    for (auto batch = queue.take(out.batches_written(), wait_for_one); batch;
         batch = queue.take(out.batches_written(), false)) {
      out.write(*batch);
    }
  };
  // At most this many batches are queued or finished but unwritten, so memory stays flat.
  const size_t max_in_flight = 2 * options.threads;
  size_t submitted = 0;
  try {
    // With every core classifying, the reading thread can wait longer than kInputPatience for a core, which
    // looks like input pausing: a partial batch then drains the pipeline and leaves a worker idle for a whole
    // batch. So the patience applies only to input that can pause, and the reading thread keeps as many
    // batches ready as may be in flight.
    const auto patience = reader.may_pause() ? kInputPatience : std::chrono::milliseconds(-1);
    InputPrefetch prefetch(reader, max_in_flight * options.batch_size, max_in_flight * kMaxBatchTextBytes);
    Batch batch;
    InputText input;
    auto submit = [&] {
      batch.sequence = submitted++;
      queue.push(std::move(batch));
      batch = Batch{};
      while (submitted - out.batches_written() >= max_in_flight) write_finished(true);
      write_finished(false);
    };
    while (true) {
      // With something to answer, wait only briefly for more input: a writer that pauses, or waits for the
      // answers, gets them now; input that keeps coming arrives well within the patience and fills the batch.
      const bool pending = !batch.inputs.empty() || out.batches_written() < submitted;
      const auto status = prefetch.next(input, pending ? patience : std::chrono::milliseconds(-1));
      if (status == InputPrefetch::Status::End) break;
      if (status == InputPrefetch::Status::Idle) {
        if (!batch.inputs.empty()) submit();
        while (out.batches_written() < submitted) write_finished(true);
        continue;
      }
      batch.text_bytes += input.text.size();
      batch.inputs.push_back(std::move(input));
      if (batch.inputs.size() >= options.batch_size || batch.text_bytes >= kMaxBatchTextBytes) submit();
    }
    if (!batch.inputs.empty()) submit();
    while (out.batches_written() < submitted) write_finished(true);
  } catch (...) {
    queue.fail(std::current_exception());
    queue.stop();
    throw;
  }
  queue.stop();
  if (out.total().errors > kErrorsShown) {
    spdlog::error("{} inputs got an error record in all (the first {} shown)", out.total().errors, kErrorsShown);
  }
  return out.total();
}

}  // namespace attn::app
